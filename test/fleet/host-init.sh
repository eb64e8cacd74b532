#!/usr/bin/env bash
# PID 1 of one test-fleet host. up.sh starts it inside the host's network
# namespace as the first process of new mount + uts + pid namespaces:
#
#   nsenter --net=/run/netns/dbf-db-1 -- \
#     unshare --mount --uts --pid --fork --mount-proc bash host-init.sh db-1 STATE_DIR /dbf-db-1
#
# (the last argument is the cgroup parent of the host's containers: the netns name, unique
# across fleets)
#
# It gives the host a private copy-on-write view of /etc /var /root /home /srv /opt
# and /usr/local (upper dirs in STATE_DIR/hosts/NAME), a read-only /usr,
# private /run /tmp /dev/shm, a fresh sysfs
# and cgroup mounts, its own /var/lib/docker (a real-disk directory), then starts
# dockerd and cron and finally becomes sshd. Killing this process (from the root
# namespace) kills everything of the host, containers included.
#
# It is written so that starting it again on the same STATE_DIR/hosts/NAME acts
# like a reboot (files persist; processes, /run and /tmp do not); no script does
# that yet.
set -euo pipefail

NAME=${1:?usage: host-init.sh NAME STATE_DIR CGROUP_PARENT}
STATE=${2:?usage: host-init.sh NAME STATE_DIR CGROUP_PARENT}
CGROUP_PARENT=${3:?usage: host-init.sh NAME STATE_DIR CGROUP_PARENT}
H=$STATE/hosts/$NAME

T0=${EPOCHREALTIME/./}
log() { local t=${EPOCHREALTIME/./}; printf '[%s] host-init +%dms: %s\n' "$NAME" $(( (t - T0) / 1000 )) "$*" >&2; }

[ "$$" = 1 ] || { log "must run as PID 1 of a new pid namespace"; exit 1; }

# Nothing mounted here may leak into the root namespace.
mount --make-rprivate /

# --- sysfs and cgroups -------------------------------------------------------
# A fresh sysfs shows this network namespace's interfaces (dockerd needs that),
# but it hides the cgroup mounts, so remount the same hierarchies on top.
cgroup_mounts=$(awk '($3 == "cgroup" || $3 == "cgroup2") && index($2, "/sys/fs/cgroup") == 1 { print $3, $2, $4 }' /proc/self/mounts)
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
if [ -n "$cgroup_mounts" ]; then
  if printf '%s\n' "$cgroup_mounts" | awk '$2 == "/sys/fs/cgroup" && $1 == "cgroup2" { f = 1 } END { exit !f }'; then
    mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup          # unified-only host
  else
    mount -t tmpfs -o mode=755,nosuid,nodev,noexec cgroup /sys/fs/cgroup
    while read -r type mp opts; do
      [ "$mp" = /sys/fs/cgroup ] && continue
      mkdir -p "$mp"
      mount -t "$type" -o "$opts" "$type" "$mp"
    done <<<"$cgroup_mounts"
  fi
fi

# --- private copy-on-write views ---------------------------------------------
for d in etc var root home srv opt; do
  [ -d "/$d" ] || continue
  mkdir -p "$H/upper/$d" "$H/work/$d"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$H/upper/$d,workdir=$H/work/$d" "/$d"
done

# /usr (and so /bin /sbin /lib) is the real machine's: read-only, so a test that
# installs software on a host fails instead of changing the machine; /usr/local
# gets a private copy-on-write view like the trees above.
mount --bind /usr /usr
mount -o remount,bind,ro /usr
mkdir -p "$H/upper/usr-local" "$H/work/usr-local"
mount -t overlay overlay -o "lowerdir=/usr/local,upperdir=$H/upper/usr-local,workdir=$H/work/usr-local" /usr/local

# overlay2 cannot keep its layers on an overlayfs: a real-disk directory.
mkdir -p "$H/docker" /var/lib/docker
mount --bind "$H/docker" /var/lib/docker

mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
mkdir -p /run/sshd /run/lock
chmod 1777 /run/lock
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm

hostname "$NAME"

# --- Docker engine (started first: it takes longest to answer) --------------------
if [ ! -e /etc/dbform-fleet-host ]; then
  # The engine must not pick up the real host's daemon.json, nor its identity key.
  mkdir -p /etc/docker
  printf '{}\n' >/etc/docker/daemon.json
  rm -f /etc/docker/key.json
fi
# Containers go to the host's own cgroup (/dbf-db-1) so they can be told apart from the other hosts'.
dockerd --iptables=false --storage-driver=overlay2 --exec-opt native.cgroupdriver=cgroupfs \
  --cgroup-parent="$CGROUP_PARENT" \
  -H unix:///run/docker.sock -H "unix://$H/docker.sock" \
  >"$H/dockerd.log" 2>&1 </dev/null &

# --- first boot ----------------------------------------------------------------
if [ ! -e /etc/dbform-fleet-host ]; then
  log "first boot"
  # A clean machine: no PostgreSQL clusters or cron jobs inherited from the real host.
  for d in /etc/postgresql /var/lib/postgresql /etc/cron.d /var/spool/cron/crontabs; do
    [ -d "$d" ] && find "$d" -mindepth 1 -maxdepth 1 ! -name .placeholder -exec rm -rf {} +
  done

  printf '%s\n' "$NAME" >/etc/hostname
  {
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
    cat "$STATE/hosts.list"
  } >/etc/hosts

  # sshd exactly as Debian's openssh-server package installs it: the package's pristine
  # sshd_config (the defaults: MaxSessions 10, MaxStartups 10:30:100, root by key only), an
  # empty sshd_config.d, and host keys made the way its postinst makes them (ssh-keygen -A:
  # rsa, ecdsa, ed25519, the stock HostKey defaults, so sshd starts without complaints;
  # ed25519 is the key up.sh pins). Nothing a user would not do, so limits the tests hit
  # are the ones users hit.
  rm -f /etc/ssh/ssh_host_*
  ssh-keygen -A
  install -m 644 /usr/share/openssh/sshd_config /etc/ssh/sshd_config
  rm -rf /etc/ssh/sshd_config.d
  install -d -m 755 /etc/ssh/sshd_config.d

  install -d -m 700 /root/.ssh
  install -m 600 "$STATE/id_ed25519.pub" /root/.ssh/authorized_keys
  # root's shell files as Debian's base-files installs them. The machine's own (its view is copied) may set up
  # developer tools: here, pyenv's init in .bashrc, which bash runs for every command sshd starts (bash reads
  # .bashrc when sshd runs it) and which forks about 60 processes: 2-4 s of CPU for each command dbform runs
  # over SSH, measured under load, and most of the test suite's time. A user's database host has none of it.
  install -m 644 /usr/share/base-files/dot.bashrc /root/.bashrc
  install -m 644 /usr/share/base-files/dot.profile /root/.profile

  # A non-root login with passwordless sudo, same key.
  id dbform >/dev/null 2>&1 || useradd -m -s /bin/bash dbform
  usermod -p '*' dbform                       # no password, but not "locked" for sshd
  install -d -m 700 -o dbform -g dbform /home/dbform/.ssh
  install -m 600 -o dbform -g dbform "$STATE/id_ed25519.pub" /home/dbform/.ssh/authorized_keys
  printf 'dbform ALL=(ALL) NOPASSWD:ALL\n' >/etc/sudoers.d/dbform
  chmod 440 /etc/sudoers.d/dbform

  date -u +%FT%TZ >/etc/dbform-fleet-host
  log "first boot done"
fi

# --- services ------------------------------------------------------------------
cron

log "dockerd and cron started; exec sshd"
# As ssh.service runs it (-D), logging to console.log (-e) as there is no syslog on a host.
exec /usr/sbin/sshd -D -e </dev/null
