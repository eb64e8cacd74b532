#!/usr/bin/env bash
# Installs the Debian packages dbform's tests and image build need, then makes
# sure a Docker engine answers. Idempotent: a second run only checks.
#
# Usage: scripts/install-prereqs.sh
#
# Environment:
#   DBFORM_DOCKERD_LOG   log file for a dockerd started here (default /var/log/dbform-dockerd.log)
#   DBFORM_DOCKER_WAIT   seconds to wait for the engine to answer (default 30)
#   DBFORM_APT_LOG       apt-get's and dpkg's output (default /var/log/dbform-apt.log)
set -euo pipefail
APT_LOG=${DBFORM_APT_LOG:-/var/log/dbform-apt.log}

log() { printf 'install-prereqs: %s\n' "$*" >&2; }
die() { printf 'install-prereqs: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"

PACKAGES=(
  docker.io
  debootstrap
  openssh-server
  cron
  postgresql-client-15   # psql, pg_restore
  iproute2
  ca-certificates
  sudo                   # the test fleet gives a non-root user passwordless sudo
  chromium               # the dashboard's browser test (driven by playwright-core)
  prometheus             # promtool checks `dbform metrics`; a server for `dashboard --prometheus`
  # The VM host with dm-crypt for encryption at rest (test/fleet/vm-host.sh): this machine's kernel has
  # no device-mapper, so a qemu TCG VM boots Debian's kernel with this machine's /usr shared read-only.
  qemu-system-x86
  linux-image-amd64
  busybox-static
  cpio
  cryptsetup-bin
)

# A package counts as present only when dpkg says "install ok installed".
missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  # apt's and dpkg's progress go to a log: one line here, the log's tail if it fails.
  mkdir -p "$(dirname "$APT_LOG")"
  : >"$APT_LOG"
  log "installing $(printf '%s\n' "${missing[@]}" | paste -sd, | sed 's/,/, /g') (usually ~1 min for all of them; log: $APT_LOG)"
  export DEBIAN_FRONTEND=noninteractive
  apt_failed() { tail -n 20 "$APT_LOG" >&2; die "$1 (log: $APT_LOG)"; }
  apt-get update -q >>"$APT_LOG" 2>&1 || apt_failed "apt-get update failed"
  apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$APT_LOG" 2>&1 \
    || apt_failed "apt-get install failed for: ${missing[*]}"
  for p in "${missing[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || die "package $p is still not installed"
  done
else
  log "packages present"
fi

for cmd in docker dockerd debootstrap sshd cron psql pg_restore ip sudo chromium promtool prometheus qemu-system-x86_64 cpio cryptsetup busybox; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || die "command $cmd not found after install"
done

# --- Docker engine ---------------------------------------------------------
if docker info >/dev/null 2>&1; then
  log "docker engine answers"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ]; then
  die "DOCKER_HOST=$DOCKER_HOST is set but that engine does not answer (docker info)"
fi

DOCKERD_LOG=${DBFORM_DOCKERD_LOG:-/var/log/dbform-dockerd.log}
WAIT=${DBFORM_DOCKER_WAIT:-30}

# A stale pid file from a dead engine makes dockerd refuse to start.
if [ -f /var/run/docker.pid ]; then
  oldpid=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [ -n "$oldpid" ] && kill -0 "$oldpid" 2>/dev/null; then
    die "a dockerd (pid $oldpid) is running but does not answer; see its log"
  fi
  rm -f /var/run/docker.pid
fi

log "starting dockerd (log $DOCKERD_LOG)"
mkdir -p "$(dirname "$DOCKERD_LOG")"
# The engine outlives this script: it must not hold what this script inherited open.
# shellcheck source=close-inherited-fds.sh
. "$(dirname "${BASH_SOURCE[0]}")/close-inherited-fds.sh"
(
  close_inherited_fds
  exec setsid dockerd --iptables=false --storage-driver=overlay2 \
    --exec-opt native.cgroupdriver=cgroupfs >>"$DOCKERD_LOG" 2>&1 </dev/null
) &
dpid=$!

deadline=$((SECONDS + WAIT))
until docker info >/dev/null 2>&1; do
  if ! kill -0 "$dpid" 2>/dev/null; then
    tail -n 20 "$DOCKERD_LOG" >&2 || true
    die "dockerd exited during startup (see $DOCKERD_LOG)"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    tail -n 20 "$DOCKERD_LOG" >&2 || true
    die "dockerd did not answer within ${WAIT}s (pid $dpid, see $DOCKERD_LOG)"
  fi
  sleep 0.2
done
log "docker engine answers (dockerd pid $dpid)"
