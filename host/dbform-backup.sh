#!/bin/bash
# dbform-backup: installed and kept by dbform apply; changes made here are reverted.
set -euo pipefail
ENV_FILE=$1
KIND=$2
declare -A C
while IFS='=' read -r k v; do [[ $k =~ ^[A-Z][A-Z0-9_]*$ ]] && C[$k]=$v; done <"$ENV_FILE"
ADDON=${C[ADDON]} CONTAINER=${C[CONTAINER]} PORT=${C[PORT]} DATABASE=${C[DATABASE]} IMAGE=${C[IMAGE]}
HOST=${C[HOST_NAME]} LOCAL_DIR=${C[LOCAL_DIR]:-} CONF_DIR=$(dirname "$ENV_FILE") BIN_DIR=$(dirname "$(readlink -f "$0")")

# One backup of an add-on at a time; a manual one waits for a running one.
exec 8>"$CONF_DIR/.lock"
flock -w 3600 8

ID=$(date -u +%Y%m%dT%H%M%SZ)-$KIND-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
PG_VERSION=$(docker exec "$CONTAINER" postgres --version 2>/dev/null | awk '{print $3}' || true)

in_image() {
  local mounts=(-v "$CONF_DIR:/conf:ro" -v "$BIN_DIR:/dbform-bin:ro")
  [ -n "$LOCAL_DIR" ] && mkdir -p "$LOCAL_DIR" && mounts+=(-v "$LOCAL_DIR:/backups")
  docker run --rm -i --network host --user root --env-file "$ENV_FILE" -e ID="$ID" "${mounts[@]}" "$IMAGE" bash -c "$1"
}

manifest() {
  printf '{"id":"%s","addon":"%s","kind":"%s","status":"%s","startedAt":"%s","host":"%s","pgVersion":"%s","format":"pg_dump-custom+age"%s}\n' \
    "$ID" "$ADDON" "$KIND" "$1" "$STARTED" "$HOST" "$PG_VERSION" "$2" | in_image 'rclone rcat "$DEST/$ADDON/$ID.json"'
}

UPLOAD='set -euo pipefail
mkfifo /tmp/sum /tmp/len
sha256sum </tmp/sum | cut -c1-64 >/tmp/sha & a=$!
wc -c </tmp/len | tr -d " " >/tmp/size & b=$!
age -r "$RECIPIENT" | tee /tmp/sum /tmp/len | rclone rcat "$DEST/$ADDON/$ID.dump.age"
wait $a $b
remote=$(rclone lsjson "$DEST/$ADDON/$ID.dump.age" | sed -n "s/.*\"Size\":\([0-9]*\).*/\1/p")
echo "$(cat /tmp/sha) $(cat /tmp/size) $remote"'

manifest running ''
if result=$(docker exec "$CONTAINER" pg_dump -h /tmp -p "$PORT" -U postgres --format c "$DATABASE" | in_image "$UPLOAD"); then
  read -r sha size remote <<<"$result"
  verified=false
  [ "$size" = "$remote" ] && verified=true
  manifest ok ",\"endedAt\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"size\":$size,\"sha256\":\"$sha\",\"verified\":$verified"
  # Retention after each backup (dbform-prune: the plan's rules, the same as dbform's own).
  in_image 'rclone cat --include "*.json" "$DEST/$ADDON" | perl /dbform-bin/dbform-prune | while read -r old; do
      rclone deletefile "$DEST/$ADDON/$old.dump.age" 2>/dev/null || true
      rclone deletefile "$DEST/$ADDON/$old.json" && echo "pruned $old"
    done' || echo "backup $ID of $ADDON: pruning failed" >&2
  echo "$ID"
else
  # No partial object may pass for a backup: remove it, keep the failure on record.
  in_image 'rclone deletefile "$DEST/$ADDON/$ID.dump.age"' >/dev/null 2>&1 || true
  manifest failed ",\"endedAt\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\""
  echo "backup $ID of $ADDON failed" >&2
  exit 1
fi
