#!/usr/bin/env bash
# A database host with a real kernel, for what the network-namespace fleet cannot do: LUKS (dm-crypt).
# A qemu TCG virtual machine (this machine's kernel has no device-mapper, and KVM is not available):
# Debian's kernel, a small busybox initramfs, this machine's /usr shared read-only over 9p (sshd,
# cryptsetup, dockerd and PostgreSQL's image all come from there), a second virtio disk for what must
# survive a reboot (the LUKS volumes, the keystore, Docker's images). dbform reaches it over SSH on loopback.
#
# Usage (as root, under `flock -o /tmp/dbform-fleet.lock`):
#   test/fleet/vm-host.sh up [--fresh]   boot (a new data disk with --fresh), wait for sshd and dockerd,
#                                        load the PostgreSQL image once, remove what earlier runs left
#   test/fleet/vm-host.sh boot           boot on the existing disk and wait (after `kill`: a power cut)
#   test/fleet/vm-host.sh kill           kill -9 qemu: a power cut (unsynced writes are lost)
#   test/fleet/vm-host.sh clean          remove what a run left (containers, open volumes, data): the VM idles
#   test/fleet/vm-host.sh down           sync and stop the VM
#   test/fleet/vm-host.sh ssh CMD...     run a command on the VM as root
# Writes STATE/vm.json (name, address, port, user, hostKey, identityFile, dataDir, disk).
#
# Environment: DBFORM_VM_STATE (default /fleet-vm), DBFORM_VM_SSH_PORT (default 22022),
#   DBFORM_VM_MEMORY_MB (default 1536), DBFORM_VM_DISK_GB (default 4), DBFORM_VM_CPUS (default 1),
#   DBFORM_FLEET_IMAGE (dbform-postgresql:15).
# Debian packages (scripts/install-prereqs.sh): qemu-system-x86 linux-image-amd64 busybox-static cpio cryptsetup-bin.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${DBFORM_VM_STATE:-/fleet-vm}
PORT=${DBFORM_VM_SSH_PORT:-22022}
MEM=${DBFORM_VM_MEMORY_MB:-1536}
DISK_GB=${DBFORM_VM_DISK_GB:-4}
IMAGE=${DBFORM_FLEET_IMAGE:-dbform-postgresql:15}
NAME=vm-1
DATA_DIR=/data/dbform

log() { printf 'vm-host: %s\n' "$*" >&2; }
die() { printf 'vm-host: ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }

# The newest Debian kernel whose modules are on this machine (the VM loads them from the shared /usr).
kernel_version() {
  local k
  for k in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V -r); do
    [ -f "/usr/lib/modules/$k/modules.dep" ] && { echo "$k"; return; }
  done
  die "no /boot/vmlinuz-* with modules in /usr/lib/modules (install linux-image-amd64: scripts/install-prereqs.sh)"
}

check_prereqs() {
  [ "$(id -u)" = 0 ] || die "must run as root"
  local c
  for c in qemu-system-x86_64 cpio gzip ssh ssh-keygen cryptsetup docker; do
    command -v "$c" >/dev/null || die "$c not found (run scripts/install-prereqs.sh)"
  done
  [ -x /bin/busybox ] && file_is_static /bin/busybox || die "/bin/busybox is missing or not static (install busybox-static)"
}
file_is_static() { ! ldd "$1" >/dev/null 2>&1; }

ssh_opts() {
  printf '%s\n' -i "$STATE/id_ed25519" -p "$PORT" -o BatchMode=yes -o ConnectTimeout=5 \
    -o UserKnownHostsFile="$STATE/known_hosts" -o StrictHostKeyChecking=yes -o LogLevel=ERROR
}
vm_ssh() { mapfile -t o < <(ssh_opts); ssh "${o[@]}" root@127.0.0.1 "$@"; }

# The modules /init loads before /usr is there (virtio, 9p), in dependency order (modprobe says which).
initramfs_modules() {
  local k=$1 dir=$2 m f
  mkdir -p "$dir/modules"
  : >"$dir/modules/order"
  for m in virtio_pci 9pnet_virtio 9p; do
    modprobe -S "$k" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
  done | awk '!seen[$0]++' | while read -r f; do
    cp "$f" "$dir/modules/"
    basename "$f" >>"$dir/modules/order"
  done
}

build_initramfs() {
  local k=$1 root=$STATE/initramfs
  rm -rf "$root"
  mkdir -p "$root"/{bb,proc,sys,dev,newroot} "$root"/skel/{bb,etc/ssh,root/.ssh,var/lib,var/log,data,mnt}
  cp /bin/busybox "$root/bb/busybox"
  cp /bin/busybox "$root/skel/bb/busybox"
  install -m 0755 "$HERE/vm-init.sh" "$root/init"
  initramfs_modules "$k" "$root"
  local s=$root/skel/etc
  printf 'root:x:0:0:root:/root:/bin/bash\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$s/passwd"
  printf 'root:*:19000:0:99999:7:::\nsshd:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n' >"$s/shadow"
  printf 'root:x:0:\nnogroup:x:65534:\ndocker:x:999:\n' >"$s/group"
  chmod 0600 "$s/shadow"
  printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$s/nsswitch.conf"
  printf '%s\n' "$NAME" >"$s/hostname"
  printf '127.0.0.1 localhost %s\n' "$NAME" >"$s/hosts"
  : >"$s/fstab"
  ln -s /proc/self/mounts "$s/mtab"
  cp -a /etc/alternatives "$s/alternatives"
  cp /etc/ld.so.cache "$s/ld.so.cache"
  printf '::sysinit:/etc/rc.sh\n::respawn:/usr/sbin/sshd -D -e\n::shutdown:/bin/sync\n' >"$s/inittab"
  install -m 0755 "$HERE/vm-rc.sh" "$s/rc.sh"
  cat >"$s/ssh/sshd_config" <<'EOF'
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile none
AllowTcpForwarding yes
EOF
  install -m 0600 "$STATE/ssh_host_ed25519_key" "$s/ssh/ssh_host_ed25519_key"
  cp "$STATE/ssh_host_ed25519_key.pub" "$s/ssh/"
  install -m 0600 "$STATE/id_ed25519.pub" "$root/skel/root/.ssh/authorized_keys"
  chmod 0700 "$root/skel/root" "$root/skel/root/.ssh"
  ln -s ../run "$root/skel/var/run"
  (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$STATE/initramfs.cpio.gz"
}

qemu_pid() { [ -f "$STATE/qemu.pid" ] && cat "$STATE/qemu.pid" 2>/dev/null || true; }
running() { local p; p=$(qemu_pid); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

start_qemu() {
  local k
  k=$(kernel_version)
  running && die "the VM is already running (pid $(qemu_pid)); use down or kill first"
  rm -f "$STATE/qemu.pid"
  : >"$STATE/console.log"
  # restrict=on: the VM reaches nothing outside itself; the forwarded loopback port still reaches its sshd.
  # One vCPU by default: with two, multi-threaded TCG was seen (CI, 2026-11-30) to lock both guest CPUs up for
  # good (soft lockups in runc and containerd-shim, each CPU waiting on the other) when the host was busy.
  qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp "${DBFORM_VM_CPUS:-1}" -m "$MEM" -nodefaults -display none -no-reboot \
    -kernel "/boot/vmlinuz-$k" -initrd "$STATE/initramfs.cpio.gz" -append "console=ttyS0 quiet panic=-1" \
    -serial "file:$STATE/console.log" \
    -virtfs local,path=/usr,mount_tag=usr,security_model=none,readonly=on \
    -virtfs local,path="$STATE/share",mount_tag=state,security_model=none,readonly=on \
    -drive file="$STATE/disk.img",if=virtio,format=raw,cache=writeback \
    -nic user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:"$PORT"-:22 \
    -device virtio-rng-pci -pidfile "$STATE/qemu.pid" -daemonize
}

wait_ready() {
  local t0 deadline
  t0=$(now_ms)
  deadline=$((SECONDS + ${DBFORM_VM_WAIT:-180}))
  until vm_ssh true 2>/dev/null; do
    running || { tail -n 30 "$STATE/console.log" >&2; die "qemu exited during boot (console: $STATE/console.log)"; }
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 30 "$STATE/console.log" >&2; die "no SSH after ${DBFORM_VM_WAIT:-180} s"; }
    sleep 1
  done
  until vm_ssh 'docker info >/dev/null 2>&1'; do
    [ "$SECONDS" -lt "$deadline" ] || { vm_ssh 'tail -n 20 /run/dockerd.log' >&2 || true; die "dockerd in the VM does not answer"; }
    sleep 1
  done
  log "booted: sshd and dockerd answer after $(( $(now_ms) - t0 )) ms"
}

# The image, saved once per image id into the share; loaded into the VM's engine (on its disk) once.
load_image() {
  local id
  id=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null) || die "image $IMAGE not found on this machine (scripts/build-image.sh)"
  if [ "$(cat "$STATE/share/image.id" 2>/dev/null)" != "$id" ]; then
    log "saving $IMAGE for the VM"
    docker save -o "$STATE/share/image.tar" "$IMAGE"
    echo "$id" >"$STATE/share/image.id"
  fi
  if [ "$(vm_ssh "docker image inspect -f '{{.Id}}' $IMAGE 2>/dev/null" || true)" != "$id" ]; then
    local t0
    t0=$(now_ms)
    vm_ssh 'docker load -q -i /mnt/state/image.tar >/dev/null'
    log "image loaded into the VM's engine in $(( $(now_ms) - t0 )) ms"
  fi
}

# What earlier runs left: managed containers, open volumes, data under dbform's directory.
clean_data() {
  vm_ssh 'ids=$(docker ps -aq --filter label=dbform.managed=true); [ -z "$ids" ] || docker rm -f $ids >/dev/null
    for m in /dev/mapper/dbform-*; do [ -e "$m" ] || continue; umount "$m" 2>/dev/null; cryptsetup close "$(basename "$m")"; done
    rm -rf /data/dbform && mkdir -p /data/dbform && sync'
}

write_json() {
  local key
  key=$(awk '{ print $1, $2 }' "$STATE/ssh_host_ed25519_key.pub")
  cat >"$STATE/vm.json.tmp" <<EOF
{
  "name": "$NAME",
  "address": "127.0.0.1",
  "port": $PORT,
  "user": "root",
  "hostKey": "$key",
  "identityFile": "$STATE/id_ed25519",
  "dataDir": "$DATA_DIR",
  "disk": "$STATE/disk.img",
  "console": "$STATE/console.log"
}
EOF
  mv -f "$STATE/vm.json.tmp" "$STATE/vm.json"
}

setup_state() {
  mkdir -p "$STATE/share"
  [ -f "$STATE/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C dbform-vm -f "$STATE/id_ed25519"
  [ -f "$STATE/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "$NAME" -f "$STATE/ssh_host_ed25519_key"
  printf '[127.0.0.1]:%s %s\n' "$PORT" "$(awk '{ print $1, $2 }' "$STATE/ssh_host_ed25519_key.pub")" >"$STATE/known_hosts"
}

# kill -9: a power cut. Waits until qemu is gone (its disk file is then closed).
stop_qemu() {
  local p
  p=$(qemu_pid)
  [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
  while [ -n "$p" ] && kill -0 "$p" 2>/dev/null; do sleep 0.1; done
  rm -f "$STATE/qemu.pid"
}

cmd=${1:-}
shift || true
case "$cmd" in
  up)
    check_prereqs
    setup_state
    # A VM that is up and answering is kept (a boot costs 15-40 s of both cores); --fresh starts anew.
    if [ "${1:-}" = --fresh ] || ! running || ! vm_ssh 'docker info >/dev/null 2>&1'; then
      stop_qemu
      [ "${1:-}" = --fresh ] && rm -f "$STATE/disk.img"
      [ -f "$STATE/disk.img" ] || truncate -s "${DISK_GB}G" "$STATE/disk.img"
      build_initramfs "$(kernel_version)"
      start_qemu
      wait_ready
    fi
    load_image
    clean_data
    write_json
    ;;
  boot)
    start_qemu
    wait_ready
    ;;
  kill) stop_qemu ;;
  clean) clean_data ;;
  down)
    if running; then
      vm_ssh sync 2>/dev/null || true
      p=$(qemu_pid)
      kill "$p" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$p" 2>/dev/null || true
    fi
    rm -f "$STATE/qemu.pid"
    ;;
  ssh) vm_ssh "$@" ;;
  *) die "usage: vm-host.sh up [--fresh] | boot | kill | down | ssh CMD..." ;;
esac
