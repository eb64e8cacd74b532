#!/usr/bin/env bash
# `npm run quickstart -- --down` (with or without --local): removes both sandboxes the quickstart
# makes, and nothing else.
#   - the sandbox fleet (DBFORM_FLEET_ID=sandbox: hosts in netns dbs-db-N with their engines,
#     containers and data, its S3 endpoint, bridge dbs0) and its state directory /dbform-sandbox
#     (databases.yaml, master key, SSH keys);
#   - the --local sandbox on this machine: containers dbform-shop and dbform-notes (only if labelled
#     dbform.managed=true and their data is in the example's own dataDir), their /etc/cron.d files (only
#     if they run from there), and that dataDir (data, keystore, backups, backup settings).
# The test suite's fleet (bridge dbf0, /fleet-state) and every other container are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
SANDBOX=/dbform-sandbox
DATA_DIR=/var/lib/dbform-quickstart   # the dataDir of examples/quickstart/databases.yaml's host
ADDONS=(shop notes)          # the add-ons of examples/quickstart/databases.yaml
say() { printf 'quickstart: %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || { say "--down must run as root"; exit 1; }

# --- the sandbox fleet ----------------------------------------------------------------------------
# down.sh refuses a state directory another fleet owns, so this can never stop the test fleet.
DBFORM_FLEET_ID=sandbox bash test/fleet/down.sh "$SANDBOX" --purge 2>&1 | sed 's/^fleet: /quickstart: /' >&2
rm -rf "$SANDBOX"

# --- the --local sandbox --------------------------------------------------------------------------
# Its host keeps everything in its own dataDir: only containers whose data lives there, cron files that
# run from there, and that directory go.
removed=()
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  for a in "${ADDONS[@]}"; do
    managed=$(docker inspect -f '{{index .Config.Labels "dbform.managed"}}' "dbform-$a" 2>/dev/null || true)
    mounts=$(docker inspect -f '{{range .Mounts}}{{.Source}} {{end}}' "dbform-$a" 2>/dev/null || true)
    [ "$managed" = true ] && [[ " $mounts" == *" $DATA_DIR/"* ]] || continue
    docker rm -f "dbform-$a" >/dev/null
    removed+=("dbform-$a")
  done
fi
for a in "${ADDONS[@]}"; do
  cron=/etc/cron.d/dbform-$a
  [ -f "$cron" ] && grep -qF "$DATA_DIR/" "$cron" && rm -f "$cron"
done
rm -rf "${DATA_DIR:?}"
say "local sandbox: ${removed[*]:-no container} removed, and $DATA_DIR"
