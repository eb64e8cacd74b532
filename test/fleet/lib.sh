# Shared by up.sh and down.sh (sourced, not run).
# shellcheck shell=bash

FLEET_BRIDGE=dbf0
FLEET_BRIDGE_ADDR=10.77.0.1
FLEET_PREFIX=24
FLEET_NS_PREFIX=dbf-          # netns dbf-db-1, ...
FLEET_VETH_PREFIX=dbf-v       # root-side veth dbf-v1, ... (the host side is eth0)
FLEET_DEFAULT_STATE=/fleet-state
FLEET_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

flog() { printf 'fleet: %s\n' "$*" >&2; }
fdie() { printf 'fleet: ERROR: %s\n' "$*" >&2; exit 1; }

# Milliseconds since the epoch.
now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }

host_name() { echo "db-$1"; }
host_addr() { echo "10.77.0.$((10 + $1))"; }

# Resolve STATE_DIR to an absolute path and refuse places a host cannot use:
# overlay upper dirs may not live on the overlaid trees (/etc /var /root /home
# /srv /opt), and /tmp /run /dev are replaced by tmpfs inside every host.
resolve_state_dir() {
  local s=${1:-${DBFORM_FLEET_STATE:-$FLEET_DEFAULT_STATE}} d
  case "$s" in /*) ;; *) s=$PWD/$s ;; esac
  s=$(realpath -m "$s")
  [ "$s" != / ] || fdie "STATE_DIR may not be /"
  for d in /etc /var /root /home /srv /opt /tmp /run /dev /proc /sys /usr; do
    case "$s/" in "$d"/*) fdie "STATE_DIR $s is under $d, which every host overlays or replaces; use e.g. $FLEET_DEFAULT_STATE" ;; esac
  done
  # dockerd listens on STATE_DIR/hosts/db-NNN/docker.sock (unix socket paths max 107 bytes).
  [ "${#s}" -le 70 ] || fdie "STATE_DIR path is too long (${#s} > 70 characters)"
  printf '%s\n' "$s"
}

# Names of every fleet network namespace that exists now.
fleet_netns() {
  ip netns list 2>/dev/null | awk -v p="${FLEET_NS_PREFIX}db-" 'index($1, p) == 1 && $1 ~ /-[0-9]+$/ { print $1 }'
}

# Start time (clock ticks since boot) of a pid, to tell a recycled pid apart.
pid_starttime() { awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null; }
