#!/usr/bin/env bash
# Starts a test-fleet host again after a crash (its PID 1 killed, its link maybe down), on the same
# STATE_DIR/hosts/NAME: like a reboot, files persist (overlays, Docker's data), processes, /run and /tmp do
# not; dockerd brings back the containers that have a restart policy. Records the new PID 1 for down.sh.
#
# Usage: test/fleet/reboot.sh NAME [STATE_DIR]      e.g. test/fleet/reboot.sh db-1
set -euo pipefail
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=lib.sh
. "$HERE/lib.sh"

NAME=${1:-}
case "$NAME" in db-[0-9]*) ;; *) fdie "usage: reboot.sh NAME [STATE_DIR]  (NAME = db-N)" ;; esac
[ "$(id -u)" = 0 ] || fdie "must run as root"
STATE=$(resolve_state_dir "${2:-}")
ns=$FLEET_NS_PREFIX$NAME h=$STATE/hosts/$NAME addr=$(host_addr "${NAME#db-}")
[ -d "$h" ] && ip netns list | grep -q "^$ns\b" || fdie "$NAME is not a host of the $FLEET_ID fleet in $STATE"
if [ -f "$h/pid" ]; then
  read -r pid start <"$h/pid" || true
  [ "$(pid_starttime "${pid:-0}")" != "${start:-x}" ] || fdie "$NAME is running (PID 1 $pid): kill it first"
fi

ip netns exec "$ns" ip link set eth0 up
rm -f "$h/docker.sock" "$h/pid" "$h/launcher.pid"
(
  cd /
  close_inherited_fds
  exec setsid env -i PATH="$FLEET_PATH" LANG=C.UTF-8 HOME=/root \
    nsenter --net="/run/netns/$ns" -- \
    unshare --mount --uts --pid --fork --mount-proc \
    bash "$HERE/host-init.sh" "$NAME" "$STATE" "/$ns" >>"$h/console.log" 2>&1 </dev/null
) &
echo $! >"$h/launcher.pid"
disown $!

deadline=$(( $(now_ms) + 30000 ))
pid1=""
until [ -n "$pid1" ]; do
  for p in $(ip netns pids "$ns" 2>/dev/null); do
    if awk '/^NSpid:/ { found = (NF == 3 && $3 == 1) } END { exit !found }' "/proc/$p/status" 2>/dev/null; then pid1=$p; fi
  done
  [ "$(now_ms)" -lt "$deadline" ] || fdie "$NAME did not start (see $h/console.log)"
  [ -n "$pid1" ] || sleep 0.02
done
echo "$pid1 $(pid_starttime "$pid1")" >"$h/pid"
until (exec 3<>"/dev/tcp/$addr/22") 2>/dev/null && docker -H "unix://$h/docker.sock" version >/dev/null 2>&1; do
  [ "$(now_ms)" -lt "$deadline" ] || fdie "$NAME: sshd or dockerd not answering after 30 s (see $h/console.log)"
  sleep 0.1
done
flog "reboot: $NAME is up again (PID 1 $pid1)"
