#!/usr/bin/env bash
# What the change feed costs and gives (BENCHMARKS.md "Sync"), in one run on one durable server
# (inside scripts/with-test-postgres.sh with PG_DURABLE=1; make bench runs it after the rest):
# - create-contact at c=32 with the feed recorded, without (record_contact_change(s) swapped for
#   no-ops by the owner, for the bench only), alternately: req/s, the service's and
#   PostgreSQL's CPU per request, WAL bytes per request;
# - create-contacts batches and the CLI import, with and without;
# - the feed read rate (changes/s to a client following it from its start);
# - the delay from commit to a long-poll answer and to a webhook delivery, p50 and p99, with a
#   receiver on this machine.
# Knobs: BENCH_CONCURRENCY (32), BENCH_SYNC_SECONDS (12), POOL_SIZE (4), BENCH_SYNC_ROWS (200000).
set -euo pipefail
cd "$(dirname "$0")/.."
c=${BENCH_CONCURRENCY:-32}
seconds=${BENCH_SYNC_SECONDS:-12}
pool=${POOL_SIZE:-4}
rows=${BENCH_SYNC_ROWS:-200000}
port=18090
receiver_port=18091
bin=.build/release/contacts
work=$(mktemp -d /tmp/contacts-bench-sync.XXXXXX)
export DATABASE_OWNER_URL="$TEST_DATABASE_OWNER_URL" MIGRATIONS_DIR="$PWD/sql"
$bin migrate >/dev/null
new_account() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$($bin account create --name "$1")" "$2"; }
token=$(new_account sync token)

# Webhooks to the receiver on this machine: plain http on loopback, allowed for the bench.
python3 bench/sync_receiver.py $receiver_port "$work/deliveries" &
receiver=$!
WEBHOOKS_ALLOW_HTTP=true WEBHOOKS_ALLOW_NETWORKS=127.0.0.0/8 DATABASE_URL="$TEST_DATABASE_URL" DATABASE_OWNER_URL= \
  $bin serve --port $port --pool-size "$pool" --rate-limit-per-second 0 --log-level error --metrics-address off &
server=$!
trap 'kill $server $receiver 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

psql_owner() { "$TEST_PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 -d "$TEST_DATABASE_OWNER_URL" "$@"; }
recording_many=$(psql_owner -c "SELECT pg_get_functiondef('record_contact_changes(uuid,uuid[],uuid[])'::regprocedure)")
recording_one=$(psql_owner -c "SELECT pg_get_functiondef('record_contact_change(uuid,uuid,boolean,text[])'::regprocedure)")
feed() {
  if [ "$1" = on ]; then
    psql_owner -c "$recording_many" >/dev/null
    psql_owner -c "$recording_one" >/dev/null
  else
    psql_owner -c "CREATE OR REPLACE FUNCTION record_contact_changes(p_tenant uuid, p_created uuid[], p_updated uuid[]) RETURNS void LANGUAGE plpgsql AS \$\$ BEGIN END \$\$" >/dev/null
    psql_owner -c "CREATE OR REPLACE FUNCTION record_contact_change(p_tenant uuid, p_contact uuid, p_created boolean, p_tags text[]) RETURNS void LANGUAGE plpgsql AS \$\$ BEGIN END \$\$" >/dev/null
  fi
}
cpu_ticks() { awk '{print $14 + $15}' /proc/$server/stat; }
postmaster=$(head -n 1 "$TEST_PG_SOCKET_DIR/data/postmaster.pid")
pg_ticks() {
  { awk '{print $14 + $15 + $16 + $17}' /proc/$postmaster/stat
    for p in $(pgrep -P "$postmaster"); do awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || true; done; } | awk '{s += $1} END {print s}'
}
wal_lsn() { "$TEST_PG_BIN/psql" -XAtq -d "$TEST_DATABASE_ADMIN_URL" -c "SELECT pg_current_wal_lsn()"; }
wal_bytes() { "$TEST_PG_BIN/psql" -XAtq -d "$TEST_DATABASE_ADMIN_URL" -c "SELECT pg_wal_lsn_diff('$2', '$1')"; }
tck=$(getconf CLK_TCK)
export BENCH_TOKEN="$token"
# The delays first, on a quiet server: later the runs below leave the disk busy with checkpoints.
hooks_token=$(new_account hooks token)
curl -fs -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/webhooks" -H "Authorization: Bearer $hooks_token" -H 'Content-Type: application/json' \
  -d "{\"url\": \"http://127.0.0.1:$receiver_port/hooks\"}"
delays=$(python3 bench/sync.py delays "http://127.0.0.1:$port" "$hooks_token" "$work/deliveries" 300)
# The endpoint goes: the runs below measure recording changes, not delivering them.
psql_owner -c "DELETE FROM webhook_endpoints" >/dev/null
wrk -t2 -c"$c" -d5s -s bench/create-contact.lua "http://127.0.0.1:$port" >/dev/null

create_contact() {
  local t0 p0 w0 out
  t0=$(cpu_ticks); p0=$(pg_ticks); w0=$(wal_lsn)
  out=$(wrk -t2 -c"$c" -d"${seconds}s" --latency -s bench/create-contact.lua "http://127.0.0.1:$port" | grep '^BENCH')
  python3 - "$1" "$out" "$t0" "$(cpu_ticks)" "$p0" "$(pg_ticks)" "$(wal_bytes "$w0" "$(wal_lsn)")" "$tck" <<'PY'
import sys
label, out, t0, t1, p0, p1, wal, tck = sys.argv[1:]
f = dict(kv.split("=") for kv in out.split()[1:])
n = int(f["requests"])
print(f"create-contact, feed {label:<4} {float(f['rps']):8.0f} req/s  p99 {float(f['p99_ms']):6.1f} ms  "
      f"service {(int(t1) - int(t0)) * 1e6 / int(tck) / n:5.0f} µs/req  PostgreSQL {(int(p1) - int(p0)) * 1e6 / int(tck) / n:5.0f} µs/req  "
      f"WAL {int(wal) / n:6.0f} B/req  (non-2xx {f['non2xx']})")
PY
}
echo "Sync (durable PostgreSQL, c=$c, ${seconds} s a run, pool $pool)"
echo "commit → client, one write every 20 ms: $delays"
# Alternated, so that the workspace's growth and the disk's state weigh on both sides alike.
create_contact on
feed off; create_contact off
feed on; create_contact on
feed off; create_contact off
feed on

batch() { echo "create-contacts, feed $1: $(python3 bench/batch.py "http://127.0.0.1:$port" "$token" 20 1 "$2") contacts/s (20 batches of 1,000 new contacts)"; }
batch on 5000000
feed off; batch off 5100000
feed on; batch on 5200000

python3 bench/make_csv.py "$rows" > "$work/contacts.csv"
import_rate() { $bin import "$work/contacts.csv" --account "$(new_account "import-$1" account_id)" | tail -n 1 | sed -E 's/.*\(([0-9]+) rows\/s\).*/\1/'; }
feed off; echo "import of $rows rows, feed off: $(import_rate off) rows/s"
feed on
reader=$($bin account create --name import-on)
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
echo "import of $rows rows, feed on:  $($bin import "$work/contacts.csv" --account "$(field "$reader" account_id)" | tail -n 1 | sed -E 's/.*\(([0-9]+) rows\/s\).*/\1/') rows/s"
echo "feed read, $rows changes from the start (limit=1000): $(python3 bench/sync.py feed-rate "http://127.0.0.1:$port" "$(field "$reader" token)")"

