#!/usr/bin/env bash
# Installs the pinned Schemathesis into a virtualenv outside the clone (once per machine) and
# prints the path of its `schemathesis` command. Debian's python3 and venv come from apt.
set -euo pipefail
version=4.32.5
prefix=${SCHEMATHESIS_HOME:-/var/cache/contacts-schemathesis/$version}
cd "$(dirname "$0")/.."
scripts/install-deps.sh python3 python3-venv >&2
if ! "$prefix/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  echo "installing schemathesis $version into $prefix" >&2
  rm -rf "$prefix"
  /usr/bin/python3 -m venv "$prefix"
  "$prefix/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version" >&2
fi
echo "$prefix/bin/schemathesis"
