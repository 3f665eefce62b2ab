#!/usr/bin/env bash
# Prints the bin folder of the newest PostgreSQL server installed (Debian keeps it off PATH).
set -euo pipefail
if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; exit 0; fi
dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$dir" ]; then
  dir=$(dirname "$(command -v initdb)")
fi
echo "$dir"
