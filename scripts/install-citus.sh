#!/usr/bin/env bash
# Builds Citus 13.2.2 from vendor/citus (no Debian package exists; CITUS_VENDOR names another
# folder holding citus-13.2.2.tar.xz and its patch) and installs it into this
# machine's PostgreSQL 15, once per machine: the build is kept in $CITUS_CACHE (outside the clone),
# and a machine where citus.so is already installed does nothing.
# Usage: scripts/install-citus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=${CITUS_VENDOR:-$PWD/vendor/citus}
cache=${CITUS_CACHE:-/var/cache/contacts-citus}
version=13.2.2
# citusdata/citus v13.2.2 as vendor/citus holds it (`git archive`, xz).
sha256=6ffb1af003e08550f20e34a1544d77d82cf92ed896293d44676e2547d1d3372f
pgbin=$(scripts/pg-bin.sh)
libdir=$("$pgbin/pg_config" --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)
if [ -f "$libdir/citus.so" ] && [ -f "$cache/citus-$version/.installed" ]; then exit 0; fi
if [ ! -f "$vendor/citus-$version.tar.xz" ]; then
  echo "Citus $version is not installed and its source is not in $vendor (set CITUS_VENDOR)" >&2
  exit 1
fi
scripts/install-deps.sh postgresql-server-dev-15 liblz4-dev libzstd-dev libkrb5-dev libselinux1-dev \
  libxslt1-dev libpam0g-dev libreadline-dev make gcc xz-utils patch
mkdir -p "$cache"
src="$cache/citus-$version"
if [ ! -f "$src/.built" ]; then
  echo "$sha256  $vendor/citus-$version.tar.xz" | sha256sum -c --quiet - \
    || { echo "$vendor/citus-$version.tar.xz is not the Citus $version this project pins" >&2; exit 1; }
  echo "building Citus $version into $cache (once per machine)" >&2
  rm -rf "$src"
  tar -xJf "$vendor/citus-$version.tar.xz" -C "$cache"
  (cd "$src" && patch -p1 -s < "$vendor/citus-$version-pg15.20.patch" \
    && ./configure --without-libcurl >/dev/null && make -s -j"$(nproc)" >/dev/null 2>&1)
  touch "$src/.built"
fi
(cd "$src" && make -s install >/dev/null)
touch "$src/.installed"
