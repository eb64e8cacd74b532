#!/usr/bin/env bash
# Builds the image bench/upgrade-downtime.mjs times pg_upgrade with (not an image dbform runs): the
# PostgreSQL 17 rootfs with the PostgreSQL 15 binaries copied in. Our mirror has 15 only in bookworm and 17
# only in trixie; bookworm's 15 binaries need three libraries trixie lacks (ICU 72 and OpenLDAP 2.5, both with
# sonames of their own), copied from the 15 rootfs into /usr/lib/postgresql/15/compat-lib and found through
# LD_LIBRARY_PATH (no clash with trixie's ICU 76 and libldap.so.2).
# Usage: bash bench/upgrade-tools-image.sh IMAGE_NAME   (uses the cached tarballs of scripts/build-image.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${1:?usage: upgrade-tools-image.sh IMAGE_NAME}
T15=$(bash scripts/build-image.sh --version 15 --tar)
T17=$(bash scripts/build-image.sh --version 17 --tar)
work=$(mktemp -d /var/tmp/dbform-upgrade-tools.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/root" "$work/15"
tar -C "$work/root" -xf "$T17"
tar -C "$work/15" -xf "$T15" ./usr/lib/postgresql/15 ./usr/share/postgresql/15 \
  --wildcards './usr/lib/x86_64-linux-gnu/libldap-2.5*' './usr/lib/x86_64-linux-gnu/liblber-2.5*' './usr/lib/x86_64-linux-gnu/libicu*.so.72*'
cp -a "$work/15/usr/lib/postgresql/15" "$work/root/usr/lib/postgresql/15"
cp -a "$work/15/usr/share/postgresql/15" "$work/root/usr/share/postgresql/15"
# 15's JIT provider needs LLVM 14 (not in trixie); without it PostgreSQL runs without JIT, as pg_upgrade needs.
rm -rf "$work/root/usr/lib/postgresql/15/lib/llvmjit"* "$work/root/usr/lib/postgresql/15/lib/bitcode"
mkdir "$work/root/usr/lib/postgresql/15/compat-lib"
cp -a "$work/15/usr/lib/x86_64-linux-gnu/." "$work/root/usr/lib/postgresql/15/compat-lib/"
missing=$(chroot "$work/root" env LD_LIBRARY_PATH=/usr/lib/postgresql/15/compat-lib sh -c 'for b in /usr/lib/postgresql/15/bin/* /usr/lib/postgresql/15/lib/*.so; do ldd "$b" 2>/dev/null; done' | grep 'not found' || true)
[ -z "$missing" ] || { echo "upgrade-tools-image: still missing: $missing" >&2; exit 1; }
tar --numeric-owner -C "$work/root" -c . | docker import \
  --change 'USER postgres' --change 'ENV LANG=C.UTF-8' \
  --change 'ENV LD_LIBRARY_PATH=/usr/lib/postgresql/15/compat-lib' \
  --change 'ENV PATH=/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$NAME" >/dev/null
echo "upgrade-tools-image: $NAME ready" >&2
