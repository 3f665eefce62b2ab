#!/usr/bin/env bash
# Starts a throwaway Citus cluster (a coordinator and two workers, PostgreSQL 15 with Citus 13.2.2
# built by scripts/install-citus.sh), unix sockets only, in one temporary folder (ports 5432 for
# the coordinator, 5433 and 5434 for the workers), with the owner and application roles and the
# contacts database on every node, the workers registered; runs "$@" with TEST_DATABASE_* set to
# the coordinator and TEST_CITUS_WORKER_URLS to the workers (application role), and removes the
# cluster whatever happens.
#
# A third worker (port 5435) is started and prepared the same way but not registered: a test grows
# the cluster onto it (TEST_CITUS_SPARE_NODE, "host:port") with the README's runbook, and may stop,
# start or restart any node with "scripts/with-citus.sh --node stop|start|restart PORT"
# (TEST_CITUS_NODE, the command without its last two words).
# Every node runs with wal_level = logical, as the rebalancer's online moves need.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = "--node" ] || scripts/install-citus.sh
pg_bin=$(scripts/pg-bin.sh)
run_as=()
[ "$(id -u)" -eq 0 ] && run_as=(runuser -u postgres --)
# A node of the running cluster stopped (fast shutdown: sessions cut), started, or both.
if [ "${1:-}" = "--node" ]; then
  # The server outlives this script: it must not keep the caller's descriptors open (a caller that
  # waits for them to close, as Foundation's Process does for its child, would wait forever).
  for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] && [ "$fd" -ne 255 ] && eval "exec $fd>&-" 2>/dev/null || true
  done
  "${run_as[@]}" "$pg_bin/pg_ctl" -D "$TEST_PG_SOCKET_DIR/node$3" -l "$TEST_PG_SOCKET_DIR/node$3.log" \
    -o "$(cat "$TEST_PG_SOCKET_DIR/node$3.options")" -m fast -w -s "$2" >/dev/null
  exit 0
fi
dir=$(mktemp -d /tmp/contacts-citus.XXXXXX)
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
ports=(5432 5433 5434 5435)
cleanup() {
  for port in "${ports[@]}"; do
    "${run_as[@]}" "$pg_bin/pg_ctl" -D "$dir/node$port" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

for port in "${ports[@]}"; do
  "${run_as[@]}" "$pg_bin/initdb" -D "$dir/node$port" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  # Relaxed like the plain test cluster unless PG_DURABLE=1 (make bench); citus.local_hostname:
  # nodes reach each other (and the coordinator itself) through the socket folder, there is no TCP.
  relaxed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${PG_DURABLE:-0}" = 1 ] && relaxed=""
  echo "-k $dir -p $port -c listen_addresses='' -c max_connections=300 -c shared_preload_libraries=citus \
    -c wal_level=logical -c max_worker_processes=20 \
    -c citus.local_hostname=$dir $relaxed" >"$dir/node$port.options"
  "${run_as[@]}" "$pg_bin/pg_ctl" -D "$dir/node$port" -l "$dir/node$port.log" -w -s -o "$(cat "$dir/node$port.options")" start
  "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres <<'SQL'
SET client_min_messages = warning;
CREATE ROLE contacts_owner LOGIN CREATEROLE;
CREATE ROLE contacts_app LOGIN;
CREATE DATABASE contacts OWNER contacts_owner;
\c contacts
CREATE EXTENSION citus;
SQL
done
"$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p 5432 -U postgres -d contacts >/dev/null <<SQL
SELECT citus_set_coordinator_host('$dir', 5432);
SELECT citus_add_node('$dir', 5433);
SELECT citus_add_node('$dir', 5434);
SQL

export TEST_PG_SOCKET_DIR="$dir"
export TEST_PG_BIN="$pg_bin"
export TEST_CITUS=1
export TEST_DATABASE_OWNER_URL="postgresql:///contacts?host=$dir&port=5432&user=contacts_owner"
export TEST_DATABASE_URL="postgresql:///contacts?host=$dir&port=5432&user=contacts_app"
export TEST_DATABASE_ADMIN_URL="postgresql:///contacts?host=$dir&port=5432&user=postgres"
export TEST_CITUS_SPARE_NODE="$dir:5435"
export TEST_CITUS_NODE="$PWD/scripts/with-citus.sh --node"
export TEST_CITUS_WORKER_URLS="postgresql:///contacts?host=$dir&port=5433&user=contacts_app postgresql:///contacts?host=$dir&port=5434&user=contacts_app"
status=0
"$@" || status=$?
if [ $status -ne 0 ]; then
  for port in "${ports[@]}"; do
    echo "--- last lines of node $port's log ---" >&2
    tail -n 15 "$dir/node$port.log" >&2
  done
fi
exit $status
