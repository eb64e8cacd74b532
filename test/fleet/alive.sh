#!/usr/bin/env bash
# Exits 0 when this fleet (DBFORM_FLEET_ID, see lib.sh) is up with exactly N hosts and answering:
# every host's PID 1 (pid + start time recorded by up.sh) alive, its sshd letting root in with the
# fleet's key and pinned host key, its Docker engine answering and holding the current image recipe,
# and the S3 endpoint alive and listening. Otherwise says why on stderr and exits 1. Changes nothing:
# up.sh --reuse uses it to keep a fleet (and everything on its hosts) instead of starting afresh.
#
# Usage: [DBFORM_FLEET_ID=sandbox] test/fleet/alive.sh N [STATE_DIR]
set -euo pipefail
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(dirname "$(dirname "$HERE")")
# shellcheck source=lib.sh
. "$HERE/lib.sh"

N=${1:?usage: alive.sh N [STATE_DIR]}
STATE=$(resolve_state_dir "${2:-}")
IMAGE=${DBFORM_FLEET_IMAGE:-dbform-postgresql:15}
no() { printf 'fleet: %s fleet not up: %s\n' "$FLEET_ID" "$*" >&2; exit 1; }

[ "$(cat "$STATE/fleet-id" 2>/dev/null)" = "$FLEET_ID" ] || no "$STATE is not its state directory"
[ -f "$STATE/fleet.json" ] || no "no $STATE/fleet.json"
hosts=$(grep -c '"name": "db-' "$STATE/fleet.json" || true)
[ "$hosts" = "$N" ] || no "$hosts host(s) in fleet.json, $N wanted"
recorded_alive() {   # FILE with "pid starttime"
  local pid start
  read -r pid start <"$1" 2>/dev/null || return 1
  [ -n "${pid:-}" ] && [ "$(pid_starttime "$pid")" = "${start:-x}" ]
}
hash=$(bash "$REPO/scripts/build-image.sh" --hash)
for i in $(seq 1 "$N"); do
  name=$(host_name "$i") h=$STATE/hosts/$(host_name "$i")
  recorded_alive "$h/pid" || no "$name's PID 1 is gone"
  ssh -F "$STATE/ssh_config" -o ConnectTimeout=5 "$name" true </dev/null >/dev/null 2>&1 || no "$name: ssh root@ fails"
  have=$(docker -H "unix://$h/docker.sock" images -q --filter "label=dbform.recipe=$hash" 2>/dev/null) \
    || no "$name: Docker engine does not answer"
  [ -n "$have" ] || no "$name: $IMAGE is not the current recipe (${hash:0:12})"
done
recorded_alive "$STATE/s3/pid" || no "the S3 endpoint's process is gone"
(exec 3<>"/dev/tcp/$FLEET_S3_ADDR/$FLEET_S3_PORT") 2>/dev/null || no "the S3 endpoint does not answer"
