#!/usr/bin/env bash
# Shrinks a freshly debootstrapped rootfs and removes what the package
# scripts left behind that a container image must not carry.
# Runs from the build machine against the directory; nothing runs inside it.
#
# Usage: image/cleanup.sh ROOTFS_DIR [PG_MAJOR]
set -euo pipefail

dir=${1:?usage: cleanup.sh ROOTFS_DIR}
[ -d "$dir/etc" ] && [ -d "$dir/usr" ] || { echo "cleanup: $dir is not a rootfs" >&2; exit 1; }
cd "$dir"

# Debian's postgresql-common creates a "main" cluster on install; dbform owns
# cluster creation, so the image must not ship one. Also stop later installs
# (apt-get install inside a derived image) from creating one.
rm -rf etc/postgresql/*/main var/lib/postgresql/*/main
if [ -f etc/postgresql-common/createcluster.conf ]; then
  sed -i 's/^#\?create_main_cluster *=.*/create_main_cluster = false/' etc/postgresql-common/createcluster.conf
fi

# apt caches and package lists (apt-get update rebuilds them when needed).
rm -rf var/cache/apt/archives/*.deb var/cache/apt/archives/partial/* \
       var/cache/apt/*.bin var/lib/apt/lists/* var/cache/debconf/*-old \
       var/lib/dpkg/*-old
mkdir -p var/lib/apt/lists/partial var/cache/apt/archives/partial

# Documentation, man pages, translations (keep copyright files and locale.alias).
if [ -d usr/share/doc ]; then
  find usr/share/doc -depth -mindepth 1 \( -type f -o -type l \) ! -name copyright -delete
  find usr/share/doc -depth -mindepth 1 -type d -empty -delete
fi
rm -rf usr/share/man/* usr/share/info/* usr/share/lintian usr/share/linda
if [ -d usr/share/locale ]; then
  find usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
fi

# Logs and leftovers of the build.
find var/log -type f -delete 2>/dev/null || true
rm -rf tmp/* var/tmp/* root/.bash_history debootstrap

# Device nodes, proc and sys are provided by the container runtime.
rm -rf dev/* proc/* sys/* 2>/dev/null || true

# postgres needs its socket directory; package scripts create it but keep it certain.
if grep -q '^postgres:' etc/passwd; then
  uid=$(awk -F: '$1=="postgres"{print $3}' etc/passwd)
  gid=$(awk -F: '$1=="postgres"{print $4}' etc/passwd)
  mkdir -p run/postgresql
  chown "$uid:$gid" run/postgresql
  chmod 2775 run/postgresql
fi
