#!/usr/bin/env bash
# A/B of builds on one durable PostgreSQL (production defaults): create-contact at c=32 against
# each binary in turn, twice round, with the same measures as make bench. Usage, from the repo:
#   PG_DURABLE=1 scripts/with-test-postgres.sh bench/ab.sh BINARY...
# Knobs: BENCH_SECONDS (15), BENCH_WARMUP (5), BENCH_CONCURRENCY (32), POOL_SIZE (4), BENCH_ROUNDS (2),
#        AB_LOG_LEVEL (warning), AB_LOG_FILE (/dev/null: where the service's log goes),
#        AB_SETUP_SQL (run once as the schema owner after migrating: e.g. to try without an index).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${BENCH_SECONDS:-15}; warmup=${BENCH_WARMUP:-5}; c=${BENCH_CONCURRENCY:-32}; pool=${POOL_SIZE:-4}
export DATABASE_OWNER_URL="$TEST_DATABASE_OWNER_URL" MIGRATIONS_DIR="$PWD/sql"
first=$1
$first migrate >/dev/null
[ -n "${AB_SETUP_SQL:-}" ] && "$TEST_PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -d "$TEST_DATABASE_OWNER_URL" -c "$AB_SETUP_SQL" >/dev/null
export BENCH_TOKEN=$($first account create --name ab | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
postmaster=$(head -n 1 "$TEST_PG_SOCKET_DIR/data/postmaster.pid")
pg_ticks() {
  { awk '{print $14 + $15 + $16 + $17}' /proc/$postmaster/stat
    for p in $(pgrep -P "$postmaster"); do awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || true; done; } | awk '{s += $1} END {print s}'
}
hz=$(getconf CLK_TCK)
printf '%-60s %8s %8s %9s %9s %7s\n' binary req/s p99_ms svc_us pg_us vcsw
for round in $(seq "${BENCH_ROUNDS:-2}"); do
  for bin in "$@"; do
    # The same start for every build: no contacts yet (inserts and updates in the same mix).
    "$TEST_PG_BIN/psql" -XAtq -d "$TEST_DATABASE_OWNER_URL" -c "TRUNCATE contacts, contact_tags, tags" >/dev/null
    DATABASE_URL="$TEST_DATABASE_URL" DATABASE_OWNER_URL= $bin serve --port 18090 --pool-size "$pool" --rate-limit-per-second 0 \
      --log-level "${AB_LOG_LEVEL:-warning}" --metrics-address off 2>>"${AB_LOG_FILE:-/dev/null}" &
    server=$!
    for _ in $(seq 100); do curl -fs http://127.0.0.1:18090/healthz >/dev/null && break; sleep 0.1; done
    wrk -t2 -c"$c" -d"${warmup}s" -s bench/create-contact.lua http://127.0.0.1:18090 >/dev/null
    t0=$(awk '{print $14 + $15}' /proc/$server/stat); p0=$(pg_ticks)
    v0=$(cat /proc/$server/task/*/status | awk '/^voluntary_ctxt/ {s += $2} END {print s}')
    line=$(wrk -t2 -c"$c" -d"${seconds}s" --latency -s bench/create-contact.lua http://127.0.0.1:18090 | grep '^BENCH')
    t1=$(awk '{print $14 + $15}' /proc/$server/stat); p1=$(pg_ticks)
    v1=$(cat /proc/$server/task/*/status | awk '/^voluntary_ctxt/ {s += $2} END {print s}')
    kill $server; wait $server 2>/dev/null || true
    python3 - "$bin" "$line" "$t0" "$t1" "$p0" "$p1" "$v0" "$v1" "$hz" <<'PY'
import sys
bin, line, t0, t1, p0, p1, v0, v1, hz = sys.argv[1:]
f = dict(kv.split("=") for kv in line.split()[1:]); n = max(int(f["requests"]), 1); hz = int(hz)
print(f"{bin[-60:]:<60} {float(f['rps']):8.0f} {float(f['p99_ms']):8.2f} {(int(t1)-int(t0))/hz*1e6/n:9.0f} {(int(p1)-int(p0))/hz*1e6/n:9.0f} {(int(v1)-int(v0))/n:7.2f}")
PY
  done
done
