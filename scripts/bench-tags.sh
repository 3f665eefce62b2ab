#!/usr/bin/env bash
# What integrators asked for (issue 24, BENCHMARKS.md), on one durable server (inside
# scripts/with-test-postgres.sh with PG_DURABLE=1; make bench runs it):
# - rename-tag and delete-tag at 100,000 tagged contacts: how long each takes, and create-contact's
#   p99 in the same workspace and in a light one, alone and while each runs;
# - create-contact at c=32 without and with a fresh Idempotency-Key on every request.
# Knobs: BENCH_TAG_CONTACTS (100000), POOL_SIZE (4).
set -euo pipefail
cd "$(dirname "$0")/.."
contacts=${BENCH_TAG_CONTACTS:-100000}
pool=${POOL_SIZE:-4}
port=18092
bin=.build/release/contacts
work=$(mktemp -d /tmp/contacts-bench-tags.XXXXXX)
export DATABASE_OWNER_URL="$TEST_DATABASE_OWNER_URL" MIGRATIONS_DIR="$PWD/sql"
$bin migrate >/dev/null
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
heavy=$($bin account create --name tags-heavy)
light=$($bin account create --name tags-light)
heavy_token=$(field "$heavy" token)

# Every contact tagged "bulk", every other one also "half" (before it): the rename into "half"
# merges on half of them.
python3 - "$contacts" >"$work/contacts.csv" <<'PY'
import sys
n = int(sys.argv[1])
print("phone,tags")
for i in range(n):
    print(f"+1628{3000000 + i},\"{'half, ' if i % 2 == 0 else ''}bulk, t{i % 10}\"")
PY
$bin import "$work/contacts.csv" --account "$(field "$heavy" account_id)" >/dev/null
"$TEST_PG_BIN/psql" -XAtq -d "$TEST_DATABASE_ADMIN_URL" -c "VACUUM ANALYZE" >/dev/null

DATABASE_URL="$TEST_DATABASE_URL" DATABASE_OWNER_URL= \
  $bin serve --port $port --pool-size "$pool" --rate-limit-per-second 0 --log-level error --metrics-address off &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

# The load during each operation: create-contact (wrk c=2 each, other phones and tags than the
# tagged contacts') in the same workspace and in a light one, at once.
export BENCH_PHONES=20000
same_token=$heavy_token light_token=$(field "$light" token)
p99_of() { awk -F'p99_ms=' '/^BENCH/ {split($2, a, " "); print a[1]}' "$1"; }
loads=()
load() { # seconds, output prefix
  BENCH_TOKEN=$same_token wrk -t1 -c2 -d"$1" --latency -s bench/create-contact.lua "http://127.0.0.1:$port" >"$2.same" &
  loads=($!)
  BENCH_TOKEN=$light_token wrk -t1 -c2 -d"$1" --latency -s bench/create-contact.lua "http://127.0.0.1:$port" >"$2.light" &
  loads+=($!)
}
load 4s "$work/warm"; wait "${loads[@]}"
load 8s "$work/alone"; wait "${loads[@]}"
echo "tags at $contacts contacts: create-contact p99 alone (wrk c=2 each): the same workspace $(p99_of "$work/alone.same") ms, a light one $(p99_of "$work/alone.light") ms"
# Each operation while the load runs: the load starts 1 s before it.
operation() {
  local label=$1 path=$2 body=$3 out="$work/$1" started elapsed answer
  load 120s "$out"
  sleep 1
  started=$(date +%s.%N)
  answer=$(curl -s -w ' %{http_code}' -X POST "http://127.0.0.1:$port$path" -H "Authorization: Bearer $heavy_token" \
    -H 'Content-Type: application/json' -d "$body")
  elapsed=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$started" "$(date +%s.%N)")
  kill -INT "${loads[@]}"
  wait "${loads[@]}" || true
  printf '%-24s %6s s  answer %s  p99 meanwhile: the same workspace %s ms, a light one %s ms\n' "$label" "$elapsed" "$answer" \
    "$(p99_of "$out.same")" "$(p99_of "$out.light")"
}
operation "rename-tag (new name)" /api/v1/actions/rename-tag '{"from": "bulk", "to": "everyone"}'
operation "rename-tag (merge, 50%)" /api/v1/actions/rename-tag '{"from": "everyone", "to": "half"}'
operation "delete-tag" /api/v1/actions/delete-tag '{"name": "half"}'

# create-contact with and without an Idempotency-Key, alternately (c=32, 10 s each).
for round in 1 2; do
  for mode in 0 1; do
    out=$(BENCH_TOKEN=$light_token BENCH_IDEMPOTENT=$mode BENCH_PHONES=200000 wrk -t2 -c32 -d10s --latency -s bench/create-contact.lua "http://127.0.0.1:$port" | grep '^BENCH')
    label=$([ "$mode" = 1 ] && echo "with an Idempotency-Key" || echo "without a key")
    echo "create-contact c=32, $label (round $round): $out"
  done
done

