#!/usr/bin/env bash
# The export alone: ROWS (300000) generated contacts imported into a workspace, then
# GET /api/v1/contacts/export streamed to /dev/null twice, with the service's and PostgreSQL's CPU.
# Usage, from the repo: PG_DURABLE=1 scripts/with-test-postgres.sh bench/export.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_OWNER_URL="$TEST_DATABASE_OWNER_URL" MIGRATIONS_DIR="$PWD/sql"
bin=${1:-.build/release/contacts}
work=$(mktemp -d /tmp/contacts-export.XXXXXX)
$bin migrate >/dev/null
python3 bench/make_csv.py "${ROWS:-300000}" > "$work/contacts.csv"
account=$($bin account create --name export)
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$account" "$1"; }
$bin import "$work/contacts.csv" --account "$(field account_id)" | tail -n 1
"$TEST_PG_BIN/psql" -X -q -d "$TEST_DATABASE_ADMIN_URL" -c "VACUUM ANALYZE"
DATABASE_URL="$TEST_DATABASE_URL" DATABASE_OWNER_URL= $bin serve --port 18097 --metrics-address off --log-level warning &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs http://127.0.0.1:18097/healthz >/dev/null && break; sleep 0.1; done
postmaster=$(head -n 1 "$TEST_PG_SOCKET_DIR/data/postmaster.pid")
pg_ticks() { for p in $(pgrep -P "$postmaster"); do awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || true; done | awk '{s += $1} END {print s}'; }
hz=$(getconf CLK_TCK)
for round in 1 2; do
  s0=$(awk '{print $14 + $15}' /proc/$server/stat); p0=$(pg_ticks); t0=$(date +%s.%N)
  curl -s -o /dev/null -H "Authorization: Bearer $(field token)" http://127.0.0.1:18097/api/v1/contacts/export
  t1=$(date +%s.%N); s1=$(awk '{print $14 + $15}' /proc/$server/stat); p1=$(pg_ticks)
  python3 -c 'import sys; n, t0, t1, s, p, hz = sys.argv[1:]; t = float(t1) - float(t0); print(f"{t:.2f} s, {int(n) / t:,.0f} contacts/s, service CPU {int(s) / int(hz):.1f} s, PostgreSQL CPU {int(p) / int(hz):.1f} s")' \
    "${ROWS:-300000}" "$t0" "$t1" $((s1 - s0)) $((p1 - p0)) "$hz"
done
