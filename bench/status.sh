#!/usr/bin/env bash
# Benchmarks `dbform status` and the dashboard's memory over SSH: a fresh test fleet of 2 hosts, 20 sandbox
# add-ons spread over them, applied, then bench/status.mjs. Tears the fleet down at the end. Run it under the
# fleet lock: flock -o /tmp/dbform-fleet.lock bash bench/status.sh [ADDONS=20] [RUNS=5] [SAMPLES=360]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
RUNS=${2:-5}
SAMPLES=${3:-360}
STATE=${DBFORM_FLEET_STATE:-/fleet-state}
export DBFORM_MASTER_KEY=${DBFORM_MASTER_KEY:-bench-status-master-key-000001}
trap 'bash test/fleet/down.sh "$STATE" >/dev/null 2>&1 || true' EXIT
bash test/fleet/up.sh 2 "$STATE" 2>/dev/null
CONFIG="$STATE/bench-status-$N.yaml"
node bench/fleet-config.mjs "$STATE/fleet.json" "$N" >"$CONFIG"
node bin/dbform.js apply --auto-approve -f "$CONFIG" >/dev/null
node bench/status.mjs "$CONFIG" "$RUNS" "$SAMPLES"
