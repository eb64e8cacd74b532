#!/usr/bin/env bash
# The README's first command: a sandbox from nothing. Installs what is missing, builds the PostgreSQL
# image, starts two local SSH hosts (network namespaces with their own sshd and Docker engine, see
# test/fleet/README.md), writes a databases.yaml for them, then plans and applies it, prints
# DATABASE_URL and connects with it.
#   npm run quickstart            two SSH hosts (db-1, db-2), the way dbform runs against a fleet
#   npm run quickstart -- --local examples/quickstart/databases.yaml on this machine, no SSH
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/prepare.sh
dbform() { node bin/dbform.js "$@"; }

if [ "${1:-}" = "--local" ]; then
  CONFIG=examples/quickstart/databases.yaml
else
  STATE=${DBFORM_FLEET_STATE:-/fleet-state}
  bash test/fleet/up.sh 2 "$STATE"
  CONFIG="$STATE/quickstart/databases.yaml"
  mkdir -p "$(dirname "$CONFIG")"
  # The master key encrypts what dbform keeps on the hosts; in real use it lives in your secret store.
  [ -s "$STATE/quickstart/master.key" ] || (umask 077 && node -e "process.stdout.write(require('crypto').randomBytes(32).toString('base64'))" >"$STATE/quickstart/master.key")
  export DBFORM_MASTER_KEY
  DBFORM_MASTER_KEY=$(cat "$STATE/quickstart/master.key")
  node scripts/quickstart-config.mjs "$STATE/fleet.json" >"$CONFIG"
fi

dbform validate -f "$CONFIG"
dbform plan -f "$CONFIG"
dbform apply --auto-approve -f "$CONFIG"
echo
url=$(dbform output shop -f "$CONFIG" | sed -n 's/^DATABASE_URL=//p')
echo "DATABASE_URL of add-on shop (printed with its password by: dbform output shop -f $CONFIG):"
echo "  ${url%%://*}://shop:***@${url#*@}"
psql "$url" -X -c "SELECT current_user, current_database(), inet_server_addr() AS server, version();"
echo "A second plan finds nothing to do:"
dbform plan --detailed-exitcode -f "$CONFIG"
