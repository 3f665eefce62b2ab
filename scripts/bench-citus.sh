#!/usr/bin/env bash
# make bench, last part: the same create-contact load as scripts/bench.sh, through a Citus
# coordinator with two workers (durable, like the single node), printed beside it. Runs inside
# scripts/with-citus.sh (TEST_DATABASE_* set to the coordinator). Adds its figures to
# .build/bench/figures, for the targets table.
# Knobs: BENCH_CONCURRENCY (32), BENCH_SECONDS (20), BENCH_WARMUP (5), POOL_SIZE (4).
set -euo pipefail
cd "$(dirname "$0")/.."
c=${BENCH_CONCURRENCY:-32}
seconds=${BENCH_SECONDS:-20}
warmup=${BENCH_WARMUP:-5}
pool=${POOL_SIZE:-4}
port=18085
bin=.build/release/contacts
export DATABASE_OWNER_URL="$TEST_DATABASE_OWNER_URL" MIGRATIONS_DIR="$PWD/sql"
$bin migrate >/dev/null 2>&1
token=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["token"])' "$($bin account create --name citus-bench)")
DATABASE_URL="$TEST_DATABASE_URL" DATABASE_OWNER_URL= $bin serve --port $port --pool-size "$pool" --rate-limit-per-second 0 \
  --log-level warning --metrics-address off &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
cpu_ticks() { awk '{print $14 + $15}' /proc/$server/stat; }
# Every node's CPU: each postmaster's own and its reaped children's, plus its live children's.
pg_ticks() {
  for pidfile in "$TEST_PG_SOCKET_DIR"/node*/postmaster.pid; do
    postmaster=$(head -n 1 "$pidfile")
    awk '{print $14 + $15 + $16 + $17}' /proc/$postmaster/stat
    for p in $(pgrep -P "$postmaster"); do awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || true; done
  done | awk '{s += $1} END {print s}'
}
export BENCH_TOKEN="$token"
wrk -t2 -c"$c" -d"${warmup}s" -s bench/create-contact.lua "http://127.0.0.1:$port" >/dev/null
t0=$(cpu_ticks); p0=$(pg_ticks)
line=$(wrk -t2 -c"$c" -d"${seconds}s" --latency -s bench/create-contact.lua "http://127.0.0.1:$port" | grep '^BENCH')
t1=$(cpu_ticks); p1=$(pg_ticks)
python3 - "$line" "$t0" "$t1" "$p0" "$p1" "$(getconf CLK_TCK)" "$c" "$pool" <<'PY'
import sys
line, t0, t1, p0, p1, hz, c, pool = sys.argv[1:]
f = dict(kv.split("=") for kv in line.split()[1:])
n, hz = max(int(f["requests"]), 1), int(hz)
svc = (int(t1) - int(t0)) / hz * 1e6 / n
pg = (int(p1) - int(p0)) / hz * 1e6 / n
print()
print(f"Citus 13.2.2, a coordinator and two workers on this machine, durable, c={c}, pool {pool}")
print(f"create-contact requests/s        {float(f['rps']):,.0f}")
print(f"  p50 / p99                      {float(f['p50_ms']):.2f} / {float(f['p99_ms']):.2f} ms")
print(f"  non-2xx responses              {int(f['non2xx'])} (socket errors {f['errors']})")
print(f"  service CPU per request        {svc:.0f} µs")
print(f"  PostgreSQL CPU per request     {pg:.0f} µs (all three nodes)")
with open(".build/bench/figures", "a") as figures:
    figures.write(f"citus_rps={float(f['rps']):.0f} citus_p99_ms={f['p99_ms']} citus_svc_us={svc:.0f} citus_pg_us={pg:.0f}\n")
PY
