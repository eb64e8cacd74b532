#!/usr/bin/env bash
# `npm run quickstart -- --down` (with or without --local): removes both sandboxes the quickstart
# makes, and nothing else.
#   - the sandbox fleet (DBFORM_FLEET_ID=sandbox: hosts in netns dbs-db-N with their engines,
#     containers and data, its S3 endpoint, bridge dbs0) and its state directory /dbform-sandbox
#     (databases.yaml, master key, SSH keys);
#   - the --local sandbox on this machine: containers dbform-shop and dbform-notes (only if labelled
#     dbform.managed=true) and, under the example's dataDir, their data, backups, backup settings and
#     keystore entries, plus their /etc/cron.d files.
# The test suite's fleet (bridge dbf0, /fleet-state) and every other container are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
SANDBOX=/dbform-sandbox
DATA_DIR=/var/lib/dbform     # examples/quickstart/databases.yaml sets no dataDir: the default
ADDONS=(shop notes)          # the add-ons of examples/quickstart/databases.yaml
say() { printf 'quickstart: %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || { say "--down must run as root"; exit 1; }

# --- the sandbox fleet ----------------------------------------------------------------------------
# down.sh refuses a state directory another fleet owns, so this can never stop the test fleet.
DBFORM_FLEET_ID=sandbox bash test/fleet/down.sh "$SANDBOX" --purge 2>&1 | sed 's/^fleet: /quickstart: /' >&2
rm -rf "$SANDBOX"

# --- the --local sandbox --------------------------------------------------------------------------
removed=()
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  for a in "${ADDONS[@]}"; do
    managed=$(docker inspect -f '{{index .Config.Labels "dbform.managed"}}' "dbform-$a" 2>/dev/null || true)
    [ "$managed" = true ] || continue
    docker rm -f "dbform-$a" >/dev/null
    removed+=("dbform-$a")
  done
fi

# Keystore entries are files named base64url("addon/<name>/..") + ".enc".
b64url_decode() {
  local s=${1//-/+}
  s=${s//_//}
  while [ $(( ${#s} % 4 )) -ne 0 ]; do s+='='; done
  printf '%s' "$s" | base64 -d 2>/dev/null || true
}
for f in "$DATA_DIR"/.keystore/*.enc; do
  [ -f "$f" ] || continue
  name=$(b64url_decode "$(basename "$f" .enc)")
  for a in "${ADDONS[@]}"; do
    case "$name" in "addon/$a/"*) rm -f "$f" ;; esac
  done
done
for a in "${ADDONS[@]}"; do
  rm -rf "${DATA_DIR:?}/$a" "$DATA_DIR/.backup/$a" "$DATA_DIR/backups/$a" "/etc/cron.d/dbform-$a"
done
# What is shared by every add-on of that dataDir goes only when no other add-on is left.
for d in .keystore .backup backups; do rmdir "$DATA_DIR/$d" 2>/dev/null || true; done
if [ -d "$DATA_DIR" ] && [ -z "$(ls -A "$DATA_DIR" | grep -vx '\.bin')" ]; then
  rm -rf "$DATA_DIR"
fi
say "local sandbox: ${removed[*]:-no container} removed, with the data of ${ADDONS[*]} under $DATA_DIR"
