#!/bin/bash
# dbform-backup: installed and kept by dbform apply; changes made here are reverted.
set -euo pipefail
ENV_FILE=$1
KIND=$2
declare -A C
while IFS='=' read -r k v; do [[ $k =~ ^[A-Z][A-Z0-9_]*$ ]] && C[$k]=$v; done <"$ENV_FILE"
ADDON=${C[ADDON]} CONTAINER=${C[CONTAINER]} PORT=${C[PORT]} DATABASE=${C[DATABASE]} IMAGE=${C[IMAGE]}
LOCAL_DIR=${C[LOCAL_DIR]:-} CONF_DIR=$(dirname "$ENV_FILE") BIN_DIR=$(dirname "$(readlink -f "$0")")

# One backup of an add-on at a time; a manual one waits for a running one.
exec 8>"$CONF_DIR/.lock"
flock -w 3600 8

# A member of a highly available add-on (backup.env has HA_API_PORT): every member runs this at the scheduled
# minute, and Patroni's REST API says whose turn it is. A healthy replica takes the backup (it dumps its own
# copy and spares the primary); the primary takes it only when no other member is a healthy replica, asking
# the peer's own API, the very answer the replica itself gets. Exit 3: not this member's turn (nothing taken).
HA_ROLE=
if [ -n "${C[HA_API_PORT]:-}" ]; then
  # The HTTP status of a Patroni health check, asked from inside the member's container (the image has curl),
  # over HTTPS verified against the fleet CA (its certificate is in the member's directory).
  patroni() { docker exec "$CONTAINER" curl -s --cacert /var/lib/dbform/tls/root.crt -o /dev/null -m 3 -w '%{http_code}' "$1" 2>/dev/null || true; }
  LOCAL_API=https://127.0.0.1:${C[HA_API_PORT]}
  # A replica lagging more than 16 MB would back up stale data: the primary's turn then.
  if [ "$(patroni "$LOCAL_API/replica?lag=16MB")" = 200 ]; then
    HA_ROLE=replica
  elif [ "$(patroni "$LOCAL_API/primary")" = 200 ]; then
    for peer in ${C[HA_PEER_APIS]:-}; do
      if [ "$(patroni "$peer/replica?lag=16MB")" = 200 ]; then
        echo "backup of $ADDON not taken on ${C[HOST_NAME]} (the primary): the replica at ${peer#https://} takes it" >&2
        exit 3
      fi
    done
    HA_ROLE=primary
  else
    echo "backup of $ADDON not taken on ${C[HOST_NAME]}: this member is neither a healthy replica nor the primary" >&2
    exit 3
  fi
fi

ID=$(date -u +%Y%m%dT%H%M%SZ)-$KIND-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
PG_VERSION=$(docker exec "$CONTAINER" postgres --version 2>/dev/null | awk '{print $3}' || true)

in_image() {
  local mounts=(-v "$CONF_DIR:/conf:ro" -v "$BIN_DIR:/dbform-bin:ro")
  [ -n "$LOCAL_DIR" ] && mkdir -p "$LOCAL_DIR" && mounts+=(-v "$LOCAL_DIR:/backups")
  docker run --rm -i --network host --user root --env-file "$ENV_FILE" \
    -e ID="$ID" -e KIND="$KIND" -e STARTED="$STARTED" -e PG_VERSION="$PG_VERSION" -e HA_ROLE="$HA_ROLE" "${mounts[@]}" "$IMAGE" bash -c "$1"
}

# Manifests and retention are dbform-backup.cjs's (installed next to this file): bundled from dbform's own
# src/resources/backups (manifest.ts, retention.ts), run by the image's Node.js. This file only moves the bytes.
record() {
  in_image "node /dbform-bin/dbform-backup.cjs $*"
}

UPLOAD='set -euo pipefail
mkfifo /tmp/sum /tmp/len
sha256sum </tmp/sum | cut -c1-64 >/tmp/sha & a=$!
wc -c </tmp/len | tr -d " " >/tmp/size & b=$!
age -r "$RECIPIENT" | tee /tmp/sum /tmp/len | rclone rcat "$DEST/$ADDON/$ID.dump.age"
wait $a $b
remote=$(rclone lsjson "$DEST/$ADDON/$ID.dump.age" | sed -n "s/.*\"Size\":\([0-9]*\).*/\1/p")
echo "$(cat /tmp/sha) $(cat /tmp/size) $remote"'

record start
# $result is "SHA256 SIZE STORED_SIZE": the manifest says verified when the stored size is the streamed one.
# A backup whose success cannot be recorded is a failed one.
if result=$(docker exec "$CONTAINER" pg_dump -h /tmp -p "$PORT" -U postgres --format c "$DATABASE" | in_image "$UPLOAD") &&
  record ok $result; then
  # Retention after each backup: the plan's rules, dbform's own; prints "pruned ID" for each deletion.
  record prune || echo "backup $ID of $ADDON: pruning failed" >&2
  echo "$ID"
else
  record failed   # removes any partial object: none may pass for a backup; keeps the failure on record
  echo "backup $ID of $ADDON failed" >&2
  exit 1
fi
