#!/usr/bin/env bash
# make bench: the service against the database's own ceiling, in one run, on one throwaway server.
# Runs inside scripts/with-test-postgres.sh (TEST_DATABASE_* set). Prints a table of figures.
# Knobs: BENCH_CONCURRENCY (32), BENCH_SECONDS (20), BENCH_WARMUP (5), POOL_SIZE (4),
#        BENCH_CSV_ROWS (1000000), BENCH_BATCHES (40), BENCH_BATCH_CLIENTS (4),
#        BENCH_NEIGHBOUR_SECONDS (8), BENCH_NEIGHBOUR_CLIENTS (8).
set -euo pipefail
cd "$(dirname "$0")/.."
c=${BENCH_CONCURRENCY:-32}
seconds=${BENCH_SECONDS:-20}
warmup=${BENCH_WARMUP:-5}
pool=${POOL_SIZE:-4}
csv_rows=${BENCH_CSV_ROWS:-1000000}
batches=${BENCH_BATCHES:-40}
batch_clients=${BENCH_BATCH_CLIENTS:-4}
port=18080
bin=.build/release/contacts
work=$(mktemp -d /tmp/contacts-bench.XXXXXX)
export DATABASE_OWNER_URL="$TEST_DATABASE_OWNER_URL" MIGRATIONS_DIR="$PWD/sql"

$bin migrate >/dev/null
account=$($bin account create --name bench)
token=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["token"])' "$account")
tenant=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["workspace_id"])' "$account")
account_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["account_id"])' "$account")
light_token=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["token"])' "$($bin account create --name light)")

DATABASE_URL="$TEST_DATABASE_URL" DATABASE_OWNER_URL= $bin serve --port $port --pool-size "$pool" --rate-limit-per-second 0 --log-level warning &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
idle_rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$server/status)

cpu_ticks() { awk '{print $14 + $15}' /proc/$server/stat; }
postmaster=$(head -n 1 "$TEST_PG_SOCKET_DIR/data/postmaster.pid")
# PostgreSQL's CPU: the postmaster's own and that of the backends it reaped (cutime, cstime: pgbench's
# sessions end with its run), plus every live child's.
pg_ticks() {
  { awk '{print $14 + $15 + $16 + $17}' /proc/$postmaster/stat
    for p in $(pgrep -P "$postmaster"); do awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || true; done; } | awk '{s += $1} END {print s}'
}
# The service's context switches, voluntary and involuntary, summed over its threads.
switches() { cat /proc/$server/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/ {v += $2} /^nonvoluntary_ctxt/ {n += $2} END {print v, n}'; }
wal_lsn() { "$TEST_PG_BIN/psql" -XAtq -d "$TEST_DATABASE_ADMIN_URL" -c "SELECT pg_current_wal_lsn()"; }
wal_bytes() { "$TEST_PG_BIN/psql" -XAtq -d "$TEST_DATABASE_ADMIN_URL" -c "SELECT pg_wal_lsn_diff('$2', '$1')"; }
export BENCH_TOKEN="$token"
wrk -t2 -c"$c" -d"${warmup}s" -s bench/create-contact.lua "http://127.0.0.1:$port" >/dev/null
ticks_before=$(cpu_ticks)
pg_ticks_before=$(pg_ticks)
switches_before=$(switches)
wal_before=$(wal_lsn)
service=$(wrk -t2 -c"$c" -d"${seconds}s" --latency -s bench/create-contact.lua "http://127.0.0.1:$port" | grep '^BENCH')
ticks_after=$(cpu_ticks)
pg_ticks_after=$(pg_ticks)
switches_after=$(switches)
wal_after=$(wal_lsn)
wal=$(wal_bytes "$wal_before" "$wal_after")
peak_rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$server/status)

# One client at a time: the latency of a request on an otherwise idle service.
single=$(wrk -t1 -c1 -d10s --latency -s bench/create-contact.lua "http://127.0.0.1:$port" | grep '^BENCH')

# Identical re-syncs: 1,000 contacts written once, then sent again unchanged (nothing to write).
BENCH_PHONES=1000 BENCH_RESYNC=1 wrk -t2 -c"$c" -d3s -s bench/create-contact.lua "http://127.0.0.1:$port" >/dev/null
resync_pg_before=$(pg_ticks)
resync_wal_before=$(wal_lsn)
resync=$(BENCH_PHONES=1000 BENCH_RESYNC=1 wrk -t2 -c"$c" -d10s --latency -s bench/create-contact.lua "http://127.0.0.1:$port" | grep '^BENCH')
resync_pg_after=$(pg_ticks)
resync_wal=$(wal_bytes "$resync_wal_before" "$(wal_lsn)")

# What the service spends per request on the way alone: HTTP only (GET /healthz), and HTTP plus
# one pooled round trip (GET /readyz: SELECT 1); microseconds of the service's CPU per request.
cpu_per_request() {
  local before after requests
  before=$(cpu_ticks)
  requests=$(wrk -t2 -c"$c" -d5s "http://127.0.0.1:$port$1" | awk '/requests in/ {print $1}')
  after=$(cpu_ticks)
  echo $(( (after - before) * 1000000 / $(getconf CLK_TCK) / requests ))
}
healthz_us=$(cpu_per_request /healthz)
readyz_us=$(cpu_per_request /readyz)

# The reference for one call: pgbench calling the frozen plpgsql function (bench/reference-function.sql).
"$TEST_PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -d "$TEST_DATABASE_OWNER_URL" -f bench/reference-function.sql >/dev/null
reference() {
  "$TEST_PG_BIN/pgbench" -n -M prepared -c "$1" -j "$2" -T "$3" -D tenant="$tenant" -f bench/reference.pgbench "$TEST_DATABASE_URL" 2>&1 || true
}
reference "$c" 2 "$warmup" >/dev/null
# pgbench's sessions end with it: let the postmaster reap them (their CPU moves to its cutime)
# before reading, or a session exiting between the listing and the read would be lost.
sleep 1
ref_pg_before=$(pg_ticks)
ref_wal_before=$(wal_lsn)
ref=$(reference "$c" 2 "$seconds")
sleep 1
ref_pg_after=$(pg_ticks)
ref_wal=$(wal_bytes "$ref_wal_before" "$(wal_lsn)")
ref_tps=$(echo "$ref" | awk -F'= ' '/^tps/ {split($2, a, " "); print a[1]}')
ref_transactions=$(echo "$ref" | awk -F': ' '/number of transactions actually processed/ {split($2, a, "/"); print a[1]}')
ref_single=$(reference 1 1 10 | awk -F'= ' '/^latency average/ {split($2, a, " "); print a[1]}')
# The same function at the service's pool size: PostgreSQL's CPU per call with as many sessions.
sleep 1
ref_pool_pg_before=$(pg_ticks)
ref_pool_n=$(reference "$pool" 2 10 | awk -F': ' '/number of transactions actually processed/ {split($2, a, "/"); print a[1]}')
sleep 1
ref_pool_pg_after=$(pg_ticks)

.build/release/contacts-bench sql --tenant "$tenant" > "$work/create-contact.pgbench"
pg_url="$TEST_DATABASE_URL"
"$TEST_PG_BIN/pgbench" -n -M prepared -c "$c" -j 2 -T "$warmup" -D tenant="$tenant" -f "$work/create-contact.pgbench" "$pg_url" >/dev/null 2>&1
pgbench=$("$TEST_PG_BIN/pgbench" -n -M prepared -c "$c" -j 2 -T "$seconds" -D tenant="$tenant" -f "$work/create-contact.pgbench" "$pg_url" 2>&1 || true)
pg_tps=$(echo "$pgbench" | awk -F'= ' '/^tps/ {split($2, a, " "); print a[1]}')
pg_latency=$(echo "$pgbench" | awk -F'= ' '/^latency average/ {split($2, a, " "); print a[1]}')
pg_failed=$(echo "$pgbench" | awk -F': ' '/number of failed transactions/ {split($2, a, " "); print a[1]}')

# create-contacts, batches of 1000 new contacts each: from one client, then from several at once.
batch_rate=$(python3 bench/batch.py "http://127.0.0.1:$port" "$token" "$batches" 1 3000000)
batch_rate_parallel=$(python3 bench/batch.py "http://127.0.0.1:$port" "$token" "$batches" "$batch_clients" 3500000)

# contacts import of a generated CSV, into an empty workspace.
python3 bench/make_csv.py "$csv_rows" > "$work/contacts.csv"
new_account() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$($bin account create --name "$1")" "$2"; }
import_line=$($bin import "$work/contacts.csv" --account "$(new_account cli-import account_id)" | tail -n 1)
cli_rate=$(sed -E 's/.*\(([0-9]+) rows\/s\).*/\1/' <<<"$import_line")

# Cost floors of one imported contact: validating its phone (libphonenumber), and PostgreSQL
# inserting it and its two links with nothing else around (microseconds each).
phone_us=$(.build/release/contacts-bench phones)
floor=$("$TEST_PG_BIN/psql" -X -q -v tenant="$tenant" -f bench/insert-floor.sql "$TEST_DATABASE_OWNER_URL" | awk '/Execution Time/ {print $3}')
floor_us=$(echo "$floor" | awk '{s += $1} END {printf "%.1f", s * 1000 / 20000}')

# Noisy neighbours: a light workspace's p99 alone and while another floods batches, with the
# pool's fair shares (the server above), then on a second server with them off (every share the
# whole pool: how the service behaved before).
neighbour_seconds=${BENCH_NEIGHBOUR_SECONDS:-8}
neighbour_clients=${BENCH_NEIGHBOUR_CLIENTS:-8}
neighbours_fair=$(python3 bench/neighbours.py "http://127.0.0.1:$port" "$light_token" "$token" "$neighbour_seconds" "$neighbour_clients")
DATABASE_URL="$TEST_DATABASE_URL" DATABASE_OWNER_URL= $bin serve --port $((port + 1)) --pool-size "$pool" --rate-limit-per-second 0 \
  --log-level warning --metrics-address off --pool-share-per-workspace "$pool" --pool-bulk-connections "$pool" &
unfair=$!
trap 'kill $server $unfair 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$((port + 1))/healthz" >/dev/null && break; sleep 0.1; done
neighbours_unfair=$(python3 bench/neighbours.py "http://127.0.0.1:$((port + 1))" "$light_token" "$token" "$neighbour_seconds" "$neighbour_clients")
kill $unfair

# Bulk over HTTP: the same file as an import job into another empty workspace, its export, and a
# light workspace's create-contact p99 while a second job imports the file again elsewhere.
bulk=$(python3 bench/bulk.py "http://127.0.0.1:$port" "$(new_account http-import token)" "$(new_account http-import-2 token)" \
  "$light_token" "$work/contacts.csv" "$csv_rows" "$cli_rate")

python3 bench/report-durable.py "$service" "$single" "$resync" "$ticks_before" "$ticks_after" "$pg_ticks_before" "$pg_ticks_after" \
  "$switches_before" "$switches_after" "$wal" "$resync_pg_before" "$resync_pg_after" "$resync_wal" \
  "$ref_tps" "${ref_transactions:-0}" "$ref_pg_before" "$ref_pg_after" "$ref_wal" "$ref_single" "$(getconf CLK_TCK)" "$c" "$pool" \
  "${ref_pool_n:-0}" "$ref_pool_pg_before" "$ref_pool_pg_after"

python3 bench/report.py "$service" "$pg_tps" "$pg_latency" "${pg_failed:-0}" "$idle_rss_kb" "$peak_rss_kb" \
  "$ticks_before" "$ticks_after" "$pg_ticks_before" "$pg_ticks_after" "$(getconf CLK_TCK)" "$batch_rate" "$batch_rate_parallel" "$batch_clients" "$import_line" "$phone_us" "$floor_us" "$healthz_us" "$readyz_us" "$c" "$seconds" "$pool" \
  "$neighbours_fair" "$neighbours_unfair" "$neighbour_clients"
echo "$bulk" | grep -v '^BULKFIG'

# The figures the targets table (bench/targets.py, printed by make bench after the Citus run) needs.
mkdir -p .build/bench
hz=$(getconf CLK_TCK)
python3 - "$service" "$single" "$ticks_before" "$ticks_after" "$pg_ticks_before" "$pg_ticks_after" "$switches_before" "$switches_after" \
  "$ref_pg_before" "$ref_pg_after" "${ref_transactions:-0}" "$hz" <<'PY' > .build/bench/figures
import sys
service, single, t0, t1, pg0, pg1, sw0, sw1, rpg0, rpg1, ref_n, hz = sys.argv[1:]
run = dict(kv.split("=") for kv in service.split()[1:])
one = dict(kv.split("=") for kv in single.split()[1:])
n, hz = max(int(run["requests"]), 1), int(hz)
print(f"rps={run['rps']} p99_ms={run['p99_ms']} c1_p50_ms={one['p50_ms']}")
print(f"create_svc_us={(int(t1) - int(t0)) / hz * 1e6 / n:.1f} create_pg_us={(int(pg1) - int(pg0)) / hz * 1e6 / n:.1f}")
print(f"voluntary_per_request={(int(sw1.split()[0]) - int(sw0.split()[0])) / n:.3f}")
print(f"reference_pg_us={(int(rpg1) - int(rpg0)) / hz * 1e6 / max(int(ref_n), 1):.1f}")
PY
cat >> .build/bench/figures <<FIGURES
readyz_us=$readyz_us healthz_us=$healthz_us batch_1_client=$batch_rate batch_4_clients=$batch_rate_parallel
import_rows_per_s=$cli_rate phone_us=$phone_us floor_us=$floor_us
$(echo "$bulk" | sed -n 's/^BULKFIG //p')
FIGURES
