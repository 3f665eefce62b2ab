#!/usr/bin/env bash
# The export right after a big import into a new workspace, while the statistics still describe
# the database as it was (autovacuum off here, so they stay stale for the whole measurement):
#   1. the export's first page (ContactStore.exportPage) as psql runs it, PAGES times, with the
#      planner's defaults and with the export's plan settings (what the service sets);
#   2. GET /api/v1/contacts/export through each BINARY's service, stale statistics;
#   3. the same after ANALYZE.
# Usage, from the repo: PG_DURABLE=1 scripts/with-test-postgres.sh bench/export-stale.sh [BINARY...]
# (default .build/release/contacts; the first migrates). Knobs: ROWS (400000), PAGES (2).
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_OWNER_URL="$TEST_DATABASE_OWNER_URL" MIGRATIONS_DIR="$PWD/sql"
[ $# -eq 0 ] && set -- .build/release/contacts
bin=$1
rows=${ROWS:-400000}
work=$(mktemp -d /tmp/contacts-export-stale.XXXXXX)
admin() { "$TEST_PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -d "$TEST_DATABASE_ADMIN_URL" "$@"; }
$bin migrate >/dev/null
admin -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" >/dev/null
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# The statistics: taken while the database held one small workspace.
small=$($bin account create --name small)
python3 bench/make_csv.py 1000 > "$work/small.csv"
$bin import "$work/small.csv" --account "$(field "$small" account_id)" >/dev/null
admin -c "ANALYZE" >/dev/null
# The big import into a new workspace.
big=$($bin account create --name big)
tenant=$(field "$big" workspace_id)
python3 bench/make_csv.py "$rows" > "$work/big.csv"
echo "import: $($bin import "$work/big.csv" --account "$(field "$big" account_id)" | tail -n 1)"

page_sql=$(python3 - <<'PY'
import re
text = open("Sources/Service/Contacts/ContactStore+Export.swift").read()
sql = re.search(r'static let exportPage = PGStatement\(\s*"""\n(.*?)"""', text, re.S).group(1)
print(" ".join(sql.split()))
PY
)
settings=$(python3 -c 'import re; t = open("Sources/Service/Contacts/ContactStore+Export.swift").read(); print(re.search(r"static let exportPlanSettings =\s*\"(.*?)\"", t, re.S).group(1))')
time_pages() {  # $1: extra settings; times the first page PAGES times, 120 s per statement at most
  "$TEST_PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -d "$TEST_DATABASE_URL" <<SQL | grep -E '^Time' | awk '{ printf "%s%s", sep, $2 " ms"; sep = ", " } END { print "" }'
BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
SET LOCAL statement_timeout = '120s';
SELECT set_config('app.tenant_id', '$tenant', true) \\g /dev/null
$1
PREPARE page(uuid, uuid, int) AS $page_sql;
\timing on
$(for _ in $(seq "${PAGES:-2}"); do echo "EXECUTE page('$tenant', '00000000-0000-0000-0000-000000000000', 2001) \\g /dev/null"; done)
\timing off
ROLLBACK;
SQL
}
echo "first page, stale statistics, planner defaults: $(time_pages "")"
echo "first page, stale statistics, export settings:  $(time_pages "$settings;")"

export_once() {  # $1: binary
  local t0 t1 lines server
  DATABASE_URL="$TEST_DATABASE_URL" DATABASE_OWNER_URL= $1 serve --port 18098 --metrics-address off --log-level critical \
    --statement-timeout-ms 5000 &
  server=$!
  for _ in $(seq 100); do curl -fs http://127.0.0.1:18098/healthz >/dev/null && break; sleep 0.1; done
  t0=$(date +%s.%N)
  lines=$(curl -s -H "Authorization: Bearer $(field "$big" token)" http://127.0.0.1:18098/api/v1/contacts/export | wc -l)
  t1=$(date +%s.%N)
  kill $server; wait $server 2>/dev/null || true
  python3 -c 'import sys; t = float(sys.argv[2]) - float(sys.argv[1]); n = max(int(sys.argv[3]) - 1, 0); print(f"{t:.2f} s, {n} of {sys.argv[4]} contacts" + ("" if n == int(sys.argv[4]) else " (cut short)"))' \
    "$t0" "$t1" "$lines" "$rows"
}
trap 'rm -rf "$work"' EXIT
for b in "$@"; do echo "export over HTTP, stale statistics, $b: $(export_once "$b")"; done
admin -c "ANALYZE" >/dev/null
for b in "$@"; do echo "export over HTTP, after ANALYZE,    $b: $(export_once "$b")"; done
