#!/bin/sh
# The VM host's boot script (busybox init's sysinit, after vm-init.sh switched to the tmpfs root with the
# machine's /usr). What a real host has after a reboot: a kernel with dm-crypt, its data disk mounted,
# a Docker engine that restarts the containers it ran, sshd (started by inittab once this returns).
# Nothing here opens a LUKS volume: after a boot every volume is closed until dbform opens it.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin DM_DISABLE_UDEV=1
mkdir -p /run /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/sshd /run/lock /dev/pts /dev/shm /tmp /var/tmp
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# cryptsetup (key on /proc/self/fd) and shells expect these.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
hostname "$(cat /etc/hostname)"
modprobe -a virtio_net virtio_blk virtio_rng loop dm_crypt xts aesni_intel ext4 overlay 2>&1 | sed 's/^/rc: /'
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0

# The data disk: formatted on first boot, persistent across reboots and power cuts (what the LUKS
# volumes, the keystore and Docker's images live on).
if ! blkid /dev/vda >/dev/null 2>&1; then
  echo "rc: formatting the data disk"
  mkfs.ext4 -q -F -L vmdata /dev/vda
fi
mkdir -p /data
mount -o noatime /dev/vda /data
mkdir -p /data/docker /data/dbform /var/lib/docker /mnt/state
mount --bind /data/docker /var/lib/docker
mount -t 9p -o trans=virtio,version=9p2000.L,ro state /mnt/state || echo "rc: no state share"

mkdir -p /sys/fs/cgroup
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# The engine lives outside init's session; containers with a restart policy come back at its start.
setsid dockerd --iptables=false --ip-masq=false --bridge=none --storage-driver=overlay2 \
  --exec-opt native.cgroupdriver=cgroupfs >/run/dockerd.log 2>&1 </dev/null &
echo "rc: boot done"
