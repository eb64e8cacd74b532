#!/usr/bin/env bash
# What synchronous replication costs a highly available business add-on, and how far its replica lags under
# load: pgbench (TPC-B, scale 10, 4 clients, DURATION s) through the add-on's DATABASE_URL (both gateways),
# alternately with synchronous replication (dbform's default) and without it (Patroni's synchronous_mode
# turned off through its REST API for the measurement, then back on), ROUNDS rounds each, on a fresh test
# fleet of 3 hosts (members on db-1 and db-2, etcd on db-3; pgbench runs in a container on db-3). The
# replica's lag is read from Patroni's /cluster every second while pgbench runs. Tears the fleet down.
# Run from the repository root, after `npm run build`, under the fleet lock:
#   flock -o /tmp/dbform-fleet.lock bash bench/ha-sync-cost.sh [ROUNDS=2] [DURATION=30]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
DURATION=${2:-30}
STATE=${DBFORM_FLEET_STATE:-/fleet-state}
export DBFORM_MASTER_KEY=${DBFORM_MASTER_KEY:-bench-ha-sync-master-key-0001}
trap 'bash test/fleet/down.sh "$STATE" >/dev/null 2>&1 || true' EXIT
bash test/fleet/up.sh 3 "$STATE" 2>/dev/null
CONFIG="$STATE/bench-ha-sync.yaml"
node -e '
const f = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
let y = "version: 1\nhosts:\n";
for (const h of f.hosts) y += `  ${h.name}:\n    address: ${h.address}\n    port: ${h.port}\n    user: ${h.user}\n    hostKey: ${h.hostKey}\n    identityFile: ${f.identityFile}\n`;
y += "consensus:\n  hosts: [db-3]\naddons:\n  orders:\n    plan: postgresql-business-1024\n    hosts: [db-1, db-2]\n    port: 31001\n";
y += "    # the test fleet (network namespaces) has no device-mapper for LUKS\n    encryptionAtRest: false\n";
process.stdout.write(y);' "$STATE/fleet.json" >"$CONFIG"
node bin/dbform.js apply --auto-approve -f "$CONFIG" >/dev/null

docker_on() { local h=$1; shift; docker -H "$(node -e 'const f=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.stdout.write(f.hosts.find(h=>h.name===process.argv[2]).dockerHost)' "$STATE/fleet.json" "$h")" "$@"; }
API=http://10.77.0.11:31003
patroni() { docker_on db-3 run --rm --network host dbform-postgresql:15 curl -sf -m 5 "$@"; }
# The URL holds the owner's password: it reaches pgbench on standard input, never a command line or the output.
URL=$(node bin/dbform.js output orders -f "$CONFIG" | sed -n 's/^DATABASE_URL=//p')
pgbench() { printf '%s\n' "$URL" | docker_on db-3 run --rm -i --network host dbform-postgresql:15 bash -c 'read -r url; /usr/lib/postgresql/15/bin/pgbench "$@" "$url"' pgbench "$@"; }
pgbench -i -q -s 10 >/dev/null 2>&1

run_round() {
  local mode=$1 lagfile
  lagfile=$(mktemp)
  (for _ in $(seq 1 "$DURATION"); do patroni "$API/cluster" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const m=JSON.parse(s).members.find(x=>x.role!=="leader");console.log(m&&typeof m.lag==="number"?m.lag:0)})' || true; sleep 1; done) >"$lagfile" &
  local sampler=$!
  local tps
  tps=$(pgbench -c 4 -j 2 -T "$DURATION" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
  wait "$sampler" || true
  local maxlag
  maxlag=$(sort -n "$lagfile" | tail -1)
  rm -f "$lagfile"
  printf '%-6s tps %8s   replica lag: max %s bytes\n' "$mode" "$tps" "${maxlag:-?}"
}

set_sync() {
  patroni -X PATCH -d "{\"synchronous_mode\": $1}" "$API/config" >/dev/null
  # Patroni applies it within its loop (1 s): wait until synchronous_standby_names follows.
  for _ in $(seq 1 30); do
    local names
    names=$(printf '%s\n' "$URL" | docker_on db-3 run --rm -i --network host dbform-postgresql:15 bash -c 'read -r url; psql "$url" -XAtc "SHOW synchronous_standby_names"')
    if { [ "$1" = true ] && [ -n "$names" ]; } || { [ "$1" = false ] && [ -z "$names" ]; }; then return; fi
    sleep 1
  done
  echo "synchronous_mode $1 did not take effect" >&2
  exit 1
}

for r in $(seq 1 "$ROUNDS"); do
  echo "round $r"
  set_sync true
  run_round sync
  set_sync false
  run_round async
done
set_sync true
