#!/usr/bin/env bash
# The contract as a stranger's tools read it: the pinned Schemathesis, every check and every phase,
# against the service on the test database (inside scripts/with-test-postgres.sh). Exits non-zero
# on any finding (long polls bounded to 0.2 s, so generated waits do not stretch the run to hours).
# Its settings, and every finding configured away with the reason, are in
# schemathesis.toml. Knobs: SCHEMATHESIS_MAX_EXAMPLES (60), CONTACTS_BIN (.build/debug/contacts).
set -euo pipefail
cd "$(dirname "$0")/.."
schemathesis=$(scripts/install-schemathesis.sh)
bin=${CONTACTS_BIN:-.build/debug/contacts}
port=${SCHEMATHESIS_PORT:-18181}
work=$(mktemp -d /tmp/contacts-schemathesis.XXXXXX)
export DATABASE_OWNER_URL="$TEST_DATABASE_OWNER_URL" MIGRATIONS_DIR="$PWD/sql"
$bin migrate >/dev/null
token=$($bin account create --name schemathesis | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# Webhook URLs: the hooks generate loopback ones (nothing resolves on a machine without DNS), so
# this instance allows them; it sends no delivery, and takes many endpoints per workspace.
WEBHOOKS_ALLOW_HTTP=true WEBHOOKS_ALLOW_NETWORKS=127.0.0.0/8 WEBHOOKS_SENDERS=0 WEBHOOKS_MAX_PER_WORKSPACE=1000000 \
DATABASE_URL="$TEST_DATABASE_URL" DATABASE_OWNER_URL= $bin serve --port "$port" --metrics-address off \
  --rate-limit-per-second 0 --changes-max-wait-seconds 0.2 --log-level error >"$work/service.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
# Tags that exist, for rename-tag: the document's example merges vip-2026 into vip, and the hooks
# rename vip to itself (it stays for every call).
curl -fs -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/actions/create-contact" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"phone": "+14155550100", "tags": "vip, vip-2026"}'
# A contact for each number the hooks generate, for update-contact.
for phone in +14155550123 +12125550199 +33612345678 +447911123456 +4915123456789 +34612345678 +390612345678 \
  +61412345678 +819012345678 +5511912345678; do
  curl -fs -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/actions/create-contact" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "{\"phone\": \"$phone\"}"
done
status=0
PYTHONPATH="$PWD/Tests/Schemathesis" SCHEMATHESIS_HOOKS=contacts_hooks "$schemathesis" --config-file schemathesis.toml run "http://127.0.0.1:$port/api/v1/openapi.json" \
  -H "Authorization: Bearer $token" --checks all --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-60}" \
  --report junit --report-dir "$work/report" || status=$?
if ! kill -0 $server 2>/dev/null; then echo "the service died during the run:" >&2; tail -n 30 "$work/service.log" >&2; status=1; fi
exit $status
