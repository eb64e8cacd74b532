#!/bb/busybox sh
# /init of the VM host's initramfs (test/fleet/vm-host.sh builds it). Runs on static busybox, before any
# of the machine's /usr is there: loads the virtio and 9p modules, mounts the machine's /usr (read-only,
# 9p) on a tmpfs root, copies the skeleton (/etc, /root, /var) and hands over to busybox init, whose
# sysinit is /etc/rc.sh (vm-rc.sh).
B=/bb/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs devtmpfs /dev
for m in $($B cat /modules/order); do $B insmod "/modules/$m" || echo "init: insmod $m failed"; done
$B mkdir -p /newroot
$B mount -t tmpfs -o mode=0755 tmpfs /newroot
$B mkdir -p /newroot/usr /newroot/proc /newroot/sys /newroot/dev
if ! $B mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose usr /newroot/usr; then
  echo "init: cannot mount the machine's /usr over 9p"
  exec $B sh
fi
$B cp -a /skel/. /newroot/
for d in bin sbin lib lib64; do $B ln -s "usr/$d" "/newroot/$d"; done
$B mount --move /proc /newroot/proc
$B mount --move /sys /newroot/sys
$B mount --move /dev /newroot/dev
exec $B switch_root /newroot /bb/busybox init
