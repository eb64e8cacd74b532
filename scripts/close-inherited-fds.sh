# Sourced (not run) by scripts that start daemons: scripts/install-prereqs.sh (dockerd) and
# test/fleet/lib.sh (the fleet's hosts and S3 endpoint).
# shellcheck shell=bash

# Closes every descriptor above stderr of the calling (sub)shell. A daemon started from it outlives the
# caller: an inherited descriptor would keep whatever the caller held open for as long as the daemon runs
# (a CI runner's pipe, which then never reaches EOF; a `flock` lock file, which is then never released).
close_inherited_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
  done
  return 0
}
