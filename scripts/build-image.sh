#!/usr/bin/env bash
# Builds the dbform PostgreSQL image of one major version without an image
# registry: debootstrap a Debian rootfs with PostgreSQL N + pgBackRest (15:
# bookworm, 17: trixie; each suite of our mirror has only its own major),
# shrink it, cache it as a tarball, `docker import` it.
#
# Usage:
#   scripts/build-image.sh [--version N] [IMAGE_NAME]
#                                         build the tarball if needed and import it
#                                         (default N 15, IMAGE_NAME dbform-postgresql:N)
#   scripts/build-image.sh [--version N] --tar   only print the cached tarball's path
#                                         (building it if needed; no Docker needed)
#   scripts/build-image.sh [--version N] --hash  only print the recipe hash
#
# The recipe hash is the sha256 of this script plus the files in image/
# (except *.md) and the version. The tarball is cached as $CACHE/rootfs-<hash>.tar and the
# image carries the labels dbform.recipe=<hash> and dbform.postgres.version=<the
# packaged PostgreSQL version, e.g. 15.14> (plans show it for minor upgrades): when an image with that label
# exists in the engine nothing is done (only the name is re-tagged if missing);
# when the tarball exists debootstrap is skipped. DOCKER_HOST selects the engine.
#
# Environment:
#   DBFORM_IMAGE_CACHE    cache directory (default /var/cache/dbform/image)
#   DBFORM_DEBIAN_MIRROR  Debian mirror (default: first URIs: in
#                         /etc/apt/sources.list.d/debian.sources, else sources.list)
#   DBFORM_REUSE_ROOTFS   an already debootstrapped rootfs (same --include list) to copy
#                         instead of running debootstrap (a build-time shortcut)
#   DBFORM_IMAGE_VERIFY   1 (default) runs the image once after a fresh import
set -euo pipefail

log() { printf 'build-image: %s\n' "$*" >&2; }
die() { printf 'build-image: ERROR: %s\n' "$*" >&2; exit 1; }

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
ROOT=$(dirname "$(dirname "$SCRIPT")")
IMAGE_DIR=$ROOT/image
CACHE=${DBFORM_IMAGE_CACHE:-/var/cache/dbform/image}

mode=import
PG_MAJOR=15
IMAGE_NAME=""
while [ $# -gt 0 ]; do
  case "$1" in
    --version) PG_MAJOR=${2:-}; shift ;;
    --tar) mode=tar ;;
    --hash) mode=hash ;;
    -h|--help) sed -n '2,/^set -euo/p' "$SCRIPT" | sed '$d; s/^# \{0,1\}//' >&2; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) IMAGE_NAME=$1 ;;
  esac
  shift
done
# The Debian suite that packages each major version dbform supports.
case "$PG_MAJOR" in
  15) SUITE=bookworm; NODE_MAJOR=v18 ;;
  17) SUITE=trixie; NODE_MAJOR=v20 ;;
  *) die "unsupported PostgreSQL version ${PG_MAJOR:-(none)}: 15 or 17" ;;
esac
IMAGE_NAME=${IMAGE_NAME:-dbform-postgresql:$PG_MAJOR}
DOCKER_PATH=/usr/lib/postgresql/$PG_MAJOR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

recipe_hash() {
  {
    printf 'build-image.sh\n'; cat "$SCRIPT"
    printf 'version %s\n' "$PG_MAJOR"
    (cd "$ROOT" && find image -type f ! -name '*.md' | LC_ALL=C sort) | while read -r f; do
      printf '%s\n' "$f"; cat "$ROOT/$f"
    done
  } | sha256sum | cut -d' ' -f1
}
HASH=$(recipe_hash)
TAR=$CACHE/rootfs-$HASH.tar

if [ "$mode" = hash ]; then
  printf '%s\n' "$HASH"
  exit 0
fi

debian_mirror() {
  if [ -n "${DBFORM_DEBIAN_MIRROR:-}" ]; then printf '%s\n' "$DBFORM_DEBIAN_MIRROR"; return; fi
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk 'tolower($1)=="uris:" {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    # deb [options] URI suite components
    m=$(awk '$1=="deb" { for (i=2;i<=NF;i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
  fi
  [ -n "$m" ] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list (set DBFORM_DEBIAN_MIRROR)"
  printf '%s\n' "$m"
}

unmount_below() {
  # debootstrap can leave proc/sys mounted when it fails half-way.
  local d=$1 m
  [ -d "$d" ] || return 0
  awk -v d="$d/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
}

build_tar() {
  [ "$(id -u)" = 0 ] || die "building the rootfs needs root"
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.build.lock"
  flock 9
  if [ -s "$TAR" ]; then return 0; fi   # built by a concurrent run meanwhile

  local work=$CACHE/build-$HASH start=$SECONDS
  unmount_below "$work"
  rm -rf "$work"
  local packages
  # A line "NAME @SUITE" is for that Debian suite only.
  packages=$(grep -v '^[[:space:]]*#' "$IMAGE_DIR/packages" | awk -v s="@$SUITE" 'NF == 1 || $2 == s { print $1 }' \
    | sed "s/@VERSION@/$PG_MAJOR/g" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
  [ -n "$packages" ] || die "image/packages lists no package"

  if [ -n "${DBFORM_REUSE_ROOTFS:-}" ]; then
    local src=$DBFORM_REUSE_ROOTFS p
    for p in ${packages//,/ }; do
      grep -q "^Package: $p\$" "$src/var/lib/dpkg/status" \
        || die "DBFORM_REUSE_ROOTFS=$src lacks package $p"
    done
    log "copying existing rootfs $src (DBFORM_REUSE_ROOTFS)"
    cp -a "$src" "$work"
  else
    command -v debootstrap >/dev/null || die "debootstrap missing (run scripts/install-prereqs.sh)"
    local mirror; mirror=$(debian_mirror)
    log "debootstrap $SUITE with $packages from $mirror (about a minute; log $CACHE/debootstrap-$PG_MAJOR.log)"
    if ! debootstrap --variant=minbase --include="$packages" "$SUITE" "$work" "$mirror" \
         >"$CACHE/debootstrap-$PG_MAJOR.log" 2>&1; then
      tail -n 20 "$CACHE/debootstrap-$PG_MAJOR.log" >&2 || true
      unmount_below "$work"
      die "debootstrap failed (see $CACHE/debootstrap-$PG_MAJOR.log)"
    fi
  fi
  unmount_below "$work"

  log "cleaning rootfs"
  bash "$IMAGE_DIR/cleanup.sh" "$work" "$PG_MAJOR"

  log "writing $TAR"
  tar --numeric-owner -C "$work" -cf "$TAR.tmp" .
  mv -f "$TAR.tmp" "$TAR"
  rm -rf "$work"
  # Tarballs of older recipes are dead weight (~450 MB each), but branches with different recipes share
  # this cache: keep the four most recently used (two versions, two recipes) (each use touches its tarball) so they do not evict
  # each other's on every run.
  ls -1t "$CACHE"/rootfs-*.tar 2>/dev/null | tail -n +5 | xargs -r rm -f
  log "rootfs tarball ready ($(du -h "$TAR" | cut -f1), $((SECONDS - start))s)"
}

if [ ! -s "$TAR" ]; then
  build_tar
fi
touch -c "$TAR" 2>/dev/null || true   # most recently used (see build_tar's eviction)

if [ "$mode" = tar ]; then
  printf '%s\n' "$TAR"
  exit 0
fi

# --- import ----------------------------------------------------------------
docker info >/dev/null 2>&1 \
  || die "no Docker engine answers${DOCKER_HOST:+ at $DOCKER_HOST} (run scripts/install-prereqs.sh)"

existing=$(docker images -q --no-trunc --filter "label=dbform.recipe=$HASH" | sort -u | head -n1)
if [ -n "$existing" ]; then
  current=$(docker image inspect -f '{{.Id}}' "$IMAGE_NAME" 2>/dev/null || true)
  if [ "$current" != "$existing" ]; then
    docker tag "$existing" "$IMAGE_NAME"
    log "tagged existing image as $IMAGE_NAME"
  fi
  log "image $IMAGE_NAME up to date (recipe ${HASH:0:12})"
  exit 0
fi

start=$SECONDS
# The packaged PostgreSQL version (15.14 of "15.14-0+deb12u1"), read from the rootfs's dpkg status.
# awk reads to the end (no early exit): under pipefail, tar killed by SIGPIPE would fail the script silently.
pg_version=$(tar -xOf "$TAR" ./var/lib/dpkg/status | awk -v p="postgresql-$PG_MAJOR" '
  $1 == "Package:" { pkg = $2 } $1 == "Version:" && pkg == p && v == "" { sub(/-.*/, "", $2); v = $2 } END { print v }')
[ -n "$pg_version" ] || die "$TAR has no package postgresql-$PG_MAJOR"
log "importing $TAR as $IMAGE_NAME (PostgreSQL $pg_version)"
docker import \
  --change 'USER postgres' \
  --change "ENV PATH=$DOCKER_PATH" \
  --change 'ENV LANG=C.UTF-8' \
  --change "LABEL dbform.recipe=$HASH" \
  --change "LABEL dbform.postgres.version=$pg_version" \
  "$TAR" "$IMAGE_NAME" >/dev/null
log "imported in $((SECONDS - start))s"

if [ "${DBFORM_IMAGE_VERIFY:-1}" = 1 ]; then
  out=$(docker run --rm --network none "$IMAGE_NAME" sh -c 'postgres --version && pgbackrest version && node --version && id' 2>&1) \
    || die "image check failed: $out"
  case "$out" in
    *"(PostgreSQL) $PG_MAJOR."*"$NODE_MAJOR".*) ;;
    *) die "image check: unexpected output: $out" ;;
  esac
  log "verified: $(printf '%s' "$out" | tr '\n' ';')"
fi
