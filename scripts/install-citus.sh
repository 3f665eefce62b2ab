#!/usr/bin/env bash
# Builds Citus 13.2.2 (no Debian package exists) and installs it into this machine's PostgreSQL 15,
# once per machine: the build is kept in $CITUS_CACHE (outside the clone), and a machine where
# citus.so is already installed does nothing.
#
# The source, the first found of: $CITUS_VENDOR (a folder holding citus-13.2.2.tar.xz), the
# repository's vendor/citus, ../shared/vendor beside the clone, or the release's tarball from
# GitHub where the internet is reachable. Each is checked by the SHA-256 of its tar stream (the
# `git archive` of tag v13.2.2, the same bytes in the .tar.xz we vendor and in GitHub's .tar.gz);
# the patch for Debian's PostgreSQL 15 headers is the repository's (vendor/citus).
# Usage: scripts/install-citus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${CITUS_CACHE:-/var/cache/contacts-citus}
version=13.2.2
# The tar stream of citusdata/citus v13.2.2 (`git archive`, prefix citus-13.2.2/, commit cc91f4c2).
tar_sha256=6a950cd466cb9266daac60f81652ddf353a7c520cb9354a9162192396fc59fec
release_url=https://github.com/citusdata/citus/archive/refs/tags/v$version.tar.gz
patch_file=$PWD/vendor/citus/citus-$version-pg15.20.patch
pgbin=$(scripts/pg-bin.sh)
libdir=$("$pgbin/pg_config" --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)
if [ -f "$libdir/citus.so" ] && [ -f "$cache/citus-$version/.installed" ]; then exit 0; fi

# Prints the path of a checked tar stream of the source, or fails saying what to put where.
source_tar() {
  local tar="$cache/citus-$version.tar" folder
  mkdir -p "$cache"
  for folder in ${CITUS_VENDOR:+"$CITUS_VENDOR"} "$PWD/vendor/citus" "$PWD/../shared/vendor"; do
    [ -f "$folder/citus-$version.tar.xz" ] || continue
    xz -dc "$folder/citus-$version.tar.xz" >"$tar"
    if echo "$tar_sha256  $tar" | sha256sum -c --quiet - 2>/dev/null; then echo "$tar"; return; fi
    echo "$folder/citus-$version.tar.xz is not the Citus $version this project pins; skipped" >&2
  done
  if curl -fsSL --max-time 120 "$release_url" -o "$tar.gz" 2>/dev/null && gzip -dc "$tar.gz" >"$tar" \
    && echo "$tar_sha256  $tar" | sha256sum -c --quiet - 2>/dev/null; then
    echo "$tar"
    return
  fi
  cat >&2 <<MESSAGE
Citus $version is not installed, and its source is nowhere here: put citus-$version.tar.xz
(citusdata/citus tag v$version, \`git archive --prefix=citus-$version/ v$version | xz\`, whose tar
stream has SHA-256 $tar_sha256) in vendor/citus, or in a folder named by CITUS_VENDOR; or run
this where $release_url can be downloaded.
MESSAGE
  exit 1
}
scripts/install-deps.sh postgresql-server-dev-15 liblz4-dev libzstd-dev libkrb5-dev libselinux1-dev \
  libxslt1-dev libpam0g-dev libreadline-dev make gcc xz-utils patch curl
mkdir -p "$cache"
src="$cache/citus-$version"
if [ ! -f "$src/.built" ]; then
  tar_file=$(source_tar)
  echo "building Citus $version into $cache (once per machine)" >&2
  rm -rf "$src"
  tar -xf "$tar_file" -C "$cache"
  (cd "$src" && patch -p1 -s < "$patch_file" \
    && ./configure --without-libcurl >/dev/null && make -s -j"$(nproc)" >/dev/null 2>&1)
  touch "$src/.built"
fi
(cd "$src" && make -s install >/dev/null)
touch "$src/.installed"
