#!/usr/bin/env bash
# Benchmarks dbform over SSH: a fresh test fleet of 3 hosts (test/fleet/up.sh), N add-ons spread over
# them (each with a read-only and a read-write user), first apply, then no-op plan (median of RUNS)
# and peak RSS, via bench/plan-apply.mjs. Tears the fleet down at the end. FLEET_HOSTS sets the number of
# hosts (default 3).
#   [FLEET_HOSTS=3] bash bench/fleet.sh [ADDONS=20] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
RUNS=${2:-5}
STATE=${DBFORM_FLEET_STATE:-/fleet-state}
trap 'bash test/fleet/down.sh "$STATE" >/dev/null 2>&1 || true' EXIT
bash test/fleet/up.sh "${FLEET_HOSTS:-3}" "$STATE" 2>/dev/null
CONFIG="$STATE/bench-$N.yaml"
node bench/fleet-config.mjs "$STATE/fleet.json" "$N" >"$CONFIG"
node bench/plan-apply.mjs --config "$CONFIG" --addons "$N" --runs "$RUNS"
