#!/usr/bin/env bash
# Moves under load, online (Citus's default) and with shard_transfer_mode => 'block_writes', with
# N contacts per workspace (default 2,000): the figures CitusGrowthTests prints, one cluster each
# (BENCHMARKS.md, "Growing a Citus cluster"). Run on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
contacts=${1:-2000}
swift build --traits OTLPTracing --build-tests --quiet
for mode in online block_writes; do
  (
    export CITUS_GROWTH_CONTACTS=$contacts
    [ "$mode" = online ] || export CITUS_GROWTH_TRANSFER_MODE=$mode
    scripts/with-citus.sh swift test --traits OTLPTracing --skip-build --filter CitusGrowthTests 2>&1 \
      | grep -a -E '^CitusGrowthTests:|✘' || true
  )
done
