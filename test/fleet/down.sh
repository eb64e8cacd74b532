#!/usr/bin/env bash
# Tears one fleet down (DBFORM_FLEET_ID, default test; see lib.sh): kills every
# host (its PID 1, which takes its dockerd, containers, sshd and cron with it) and
# the S3 endpoint (netns dbf-s3), deletes veths, network namespaces and the bridge,
# removes leftover cgroups and mounts. Safe to run when nothing is up.
#
# Usage: [DBFORM_FLEET_ID=sandbox] test/fleet/down.sh [STATE_DIR] [--purge]
#   STATE_DIR  default $DBFORM_FLEET_STATE or the fleet's own (/fleet-state, /dbform-sandbox)
#   --purge    also delete the hosts' files and Docker data (image stores), the
#              S3 endpoint's objects and certificates, and the client key; without it they stay for inspection and reuse (up.sh
#              wipes the hosts' files but keeps the Docker data to skip re-imports).
#
# Only this fleet's names are touched (bridge dbf0, netns dbf-db-N, ... for the test
# fleet; dbs0, dbs-db-N, ... for the sandbox), whatever STATE_DIR it was started
# with; another fleet stays up.
set -euo pipefail
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=lib.sh
. "$HERE/lib.sh"

purge=0 state_arg=""
for a in "$@"; do
  case "$a" in
    --purge) purge=1 ;;
    -*) fdie "unknown option $a" ;;
    *) state_arg=$a ;;
  esac
done
[ "$(id -u)" = 0 ] || fdie "must run as root"
STATE=$(resolve_state_dir "$state_arg")
claim_state_dir "$STATE"
t0=$(now_ms)

# --- processes -----------------------------------------------------------------
pids=()
# PID 1 of each host as recorded by up.sh (pid + start time, so a recycled pid is never hit).
for pf in "$STATE"/hosts/*/pid; do
  [ -f "$pf" ] || continue
  read -r pid start <"$pf" || true
  if [ -n "${pid:-}" ] && [ "$(pid_starttime "$pid")" = "${start:-x}" ]; then
    pids+=("$pid")
  fi
  rm -f "$pf"
done
# The S3 endpoint, as recorded by up.sh.
if [ -f "$STATE/s3/pid" ]; then
  read -r pid start <"$STATE/s3/pid" || true
  if [ -n "${pid:-}" ] && [ "$(pid_starttime "$pid")" = "${start:-x}" ]; then
    pids+=("$pid")
  fi
  rm -f "$STATE/s3/pid"
fi
# Everything still inside this fleet's network namespaces (any STATE_DIR), S3's included.
mapfile -t namespaces < <(fleet_netns)
s3ns=()
ip netns list 2>/dev/null | awk -v n="$FLEET_S3_NS" '$1 == n { f = 1 } END { exit !f }' && s3ns=("$FLEET_S3_NS")
for ns in "${namespaces[@]}" "${s3ns[@]}"; do
  while read -r pid; do [ -n "$pid" ] && pids+=("$pid"); done < <(ip netns pids "$ns" 2>/dev/null || true)
done

if [ "${#pids[@]}" -gt 0 ]; then
  kill -KILL "${pids[@]}" 2>/dev/null || true
  # The kernel kills the rest of each pid namespace (dockerd, shims, containers).
  deadline=$(( $(now_ms) + 10000 ))
  while :; do
    alive=()
    for pid in "${pids[@]}"; do
      [ -d "/proc/$pid" ] && [ "$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" != Z ] && alive+=("$pid")
    done
    for ns in "${namespaces[@]}" "${s3ns[@]}"; do
      while read -r pid; do [ -n "$pid" ] && alive+=("$pid"); done < <(ip netns pids "$ns" 2>/dev/null || true)
    done
    [ "${#alive[@]}" -eq 0 ] && break
    if [ "$(now_ms)" -ge "$deadline" ]; then
      fdie "processes still alive after 10s: ${alive[*]}"
    fi
    kill -KILL "${alive[@]}" 2>/dev/null || true
    sleep 0.05
  done
fi

# --- network -------------------------------------------------------------------
while read -r link; do
  ip link del "$link" 2>/dev/null || true
done < <(ip -o link show 2>/dev/null | awk -F': ' -v p="$FLEET_VETH_PREFIX" '{ sub(/@.*/, "", $2) } index($2, p) == 1 && $2 ~ /[0-9]+$/ { print $2 }')
ip link del "$FLEET_S3_NS" 2>/dev/null || true
for ns in "${namespaces[@]}" "${s3ns[@]}"; do
  ip netns del "$ns" 2>/dev/null || true
done
if ip link show "$FLEET_BRIDGE" >/dev/null 2>&1; then
  ip link del "$FLEET_BRIDGE"
fi

# --- cgroups left by the hosts' engines (--cgroup-parent=/dbf-db-N) -------------
for cg in /sys/fs/cgroup/*/"${FLEET_NS_PREFIX}"db-* /sys/fs/cgroup/"${FLEET_NS_PREFIX}"db-*; do
  [ -d "$cg" ] || continue
  find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
done

# --- mounts (hosts mount privately; this only catches accidents) ------------------
awk -v s="$STATE/" 'index($2, s) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
  umount -l "$m" 2>/dev/null || true
done

rm -f "$STATE/fleet.json" "$STATE/known_hosts" "$STATE/ssh_config"
if [ "$purge" = 1 ] && [ -d "$STATE" ]; then
  rm -rf "$STATE/hosts" "$STATE/s3" "$STATE/hosts.list" "$STATE/id_ed25519" "$STATE/id_ed25519.pub" "$STATE/fleet-id"
  rmdir "$STATE" 2>/dev/null || true
fi

msg="down ($FLEET_ID fleet): ${#namespaces[@]} host(s)${s3ns:+ and the S3 endpoint} removed in $(( $(now_ms) - t0 )) ms"
[ "$purge" = 1 ] && msg+=", state purged"
flog "$msg"
