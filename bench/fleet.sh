#!/usr/bin/env bash
# Benchmarks dbform over SSH: a fresh test fleet of 3 hosts (test/fleet/up.sh), N add-ons spread over
# them (each with a read-only and a read-write user), first apply, then no-op plan (median of RUNS)
# and peak RSS, via bench/plan-apply.mjs. Tears the fleet down at the end.
#   bash bench/fleet.sh [ADDONS=20] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
RUNS=${2:-5}
STATE=${DBFORM_FLEET_STATE:-/fleet-state}
trap 'bash test/fleet/down.sh "$STATE" >/dev/null 2>&1 || true' EXIT
bash test/fleet/up.sh 3 "$STATE" 2>/dev/null
CONFIG="$STATE/bench-$N.yaml"
node -e '
const f = require(process.argv[1]); const n = Number(process.argv[2]);
let y = "version: 1\nhosts:\n";
for (const h of f.hosts) y += `  ${h.name}:\n    address: ${h.address}\n    user: root\n    hostKey: ${h.hostKey}\n    identityFile: ${f.identityFile}\n`;
y += "addons:\n";
for (let i = 0; i < n; i++) {
  const h = f.hosts[i % f.hosts.length].name;
  y += `  bench-${String(i + 1).padStart(2, "0")}:\n    plan: postgresql-sandbox\n    host: ${h}\n    port: ${31001 + Math.floor(i / f.hosts.length)}\n    users:\n      reader:\n        access: read-only\n      writer:\n        access: read-write\n`;
}
process.stdout.write(y);' "$STATE/fleet.json" "$N" >"$CONFIG"
node bench/plan-apply.mjs --config "$CONFIG" --addons "$N" --runs "$RUNS"
