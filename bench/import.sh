#!/usr/bin/env bash
# The CSV import, build against build, on the database the wrapper started: each binary imports
# the same generated file into a fresh workspace (all created), then again (all unchanged).
# Usage, from the repo:
#   PG_DURABLE=1 scripts/with-test-postgres.sh bench/import.sh BINARY...   (one PostgreSQL)
#   scripts/with-citus.sh bench/import.sh BINARY...                        (a coordinator, two workers)
# Knobs: BENCH_CSV_ROWS (200000), BENCH_ROUNDS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${BENCH_CSV_ROWS:-200000}
work=$(mktemp -d /tmp/contacts-import.XXXXXX)
trap 'rm -rf "$work"' EXIT
export DATABASE_OWNER_URL="$TEST_DATABASE_OWNER_URL" MIGRATIONS_DIR="$PWD/sql"
python3 bench/make_csv.py "$rows" > "$work/contacts.csv"
"$1" migrate >/dev/null
printf '%-40s %12s %12s\n' binary "new rows/s" "same rows/s"
for round in $(seq "${BENCH_ROUNDS:-2}"); do
  for bin in "$@"; do
    account=$("$bin" account create --name "import-$round")
    id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["account_id"])' "$account")
    rate() { sed -E 's/.*\(([0-9]+) rows\/s\).*/\1/' <<<"$1"; }
    first=$("$bin" import "$work/contacts.csv" --account "$id" | tail -n 1)
    second=$("$bin" import "$work/contacts.csv" --account "$id" | tail -n 1)
    printf '%-40s %12s %12s\n' "$bin" "$(rate "$first")" "$(rate "$second")"
  done
done
