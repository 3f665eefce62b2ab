#!/usr/bin/env bash
# Installs the pinned `standardwebhooks` (the Standard Webhooks reference implementation, from
# PyPI) into a virtualenv outside the clone, once per machine, and prints the path of its python:
# the tests' webhook receiver (Tests/Webhooks/receiver.py) verifies every delivery with it.
set -euo pipefail
version=1.3.0
prefix=${STANDARDWEBHOOKS_HOME:-/var/cache/contacts-standardwebhooks/$version}
cd "$(dirname "$0")/.."
scripts/install-deps.sh python3 python3-venv >&2
if ! "$prefix/bin/python" -c "import standardwebhooks" 2>/dev/null; then
  echo "installing standardwebhooks $version into $prefix" >&2
  rm -rf "$prefix"
  /usr/bin/python3 -m venv "$prefix"
  "$prefix/bin/pip" install --quiet --disable-pip-version-check "standardwebhooks==$version" >&2
fi
echo "$prefix/bin/python"
