#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster in a temporary folder (unix socket only; as the postgres OS
# user when run as root, since PostgreSQL refuses to run as root), creates the owner and the
# application roles and a database, runs "$@" with TEST_DATABASE_* set, and stops and removes the
# cluster whatever happens.
set -euo pipefail
pg_bin=$("$(dirname "$0")/pg-bin.sh")
dir=$(mktemp -d /tmp/contacts-pg.XXXXXX)
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$dir"
  run_as=(runuser -u postgres --)
fi
cleanup() {
  "${run_as[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"${run_as[@]}" "$pg_bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
# Tests run relaxed (no fsync: nothing here must survive a crash of the machine); PG_DURABLE=1 keeps
# PostgreSQL's production defaults (fsync, synchronous_commit, full_page_writes), as make bench does.
relaxed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${PG_DURABLE:-0}" = 1 ] && relaxed=""
"${run_as[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
  -o "-k $dir -c listen_addresses='' -c max_connections=300 $relaxed" start
"$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -U postgres -d postgres <<'SQL'
CREATE ROLE contacts_owner LOGIN CREATEROLE;
CREATE ROLE contacts_app LOGIN;
CREATE DATABASE contacts OWNER contacts_owner;
SQL

export TEST_PG_SOCKET_DIR="$dir"
export TEST_PG_BIN="$pg_bin"
export TEST_DATABASE_OWNER_URL="postgresql:///contacts?host=$dir&user=contacts_owner"
export TEST_DATABASE_URL="postgresql:///contacts?host=$dir&user=contacts_app"
export TEST_DATABASE_ADMIN_URL="postgresql:///contacts?host=$dir&user=postgres"
status=0
"$@" || status=$?
if [ $status -ne 0 ] && [ -f "$dir/server.log" ]; then
  echo "--- last lines of the test server's log ---" >&2
  tail -n 30 "$dir/server.log" >&2
fi
exit $status
