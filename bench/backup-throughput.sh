#!/usr/bin/env bash
# Backup and download throughput of a database of SIZE_GB (default 1) on the local Docker engine,
# against the physical limit of this machine: the same `pg_dump --format c` written to a local file,
# measured in the same run. Also the peak memory of `dbform backups download`, at two database sizes,
# to show it stays flat (the dump streams; it is never held in memory).
#   bash bench/backup-throughput.sh [SIZE_GB=1]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_GB=${1:-1}
WORK=$(mktemp -d /var/tmp/dbform-bench-backup.XXXXXX)
trap 'docker rm -f dbform-bench-bk >/dev/null 2>&1; rm -rf "$WORK" /etc/cron.d/dbform-bench-bk' EXIT
export DBFORM_MASTER_KEY=benchmark-master-key-000000001 XDG_CONFIG_HOME=$WORK/xdg NO_COLOR=1
CONFIG=$WORK/databases.yaml
cat >"$CONFIG" <<YAML
version: 1
hosts:
  local:
    transport: local
    dataDir: $WORK/data
storage:
  disk:
    type: local
    path: $WORK/backups
addons:
  bench-bk:
    plan: postgresql-starter-1024
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    port: 34901
YAML
dbform() { node bin/dbform.js "$@" -f "$CONFIG"; }
secs() { local t0=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $t0" | bc; }
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

dbform apply --auto-approve >/dev/null
fill() { # random bytes: the dump cannot compress them away, so it is as large as the data
  docker exec dbform-bench-bk psql -q -h /tmp -p 34901 -U postgres -d bench-bk -c "CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE TABLE IF NOT EXISTS blob (b bytea); INSERT INTO blob SELECT gen_random_bytes(1024) FROM generate_series(1, $1 * 1024)" >/dev/null
  docker exec dbform-bench-bk psql -h /tmp -p 34901 -U postgres -d bench-bk -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))"
}
report() {
  local size=$1
  local raw=$(secs sh -c "docker exec dbform-bench-bk pg_dump -h /tmp -p 34901 -U postgres --format c bench-bk > $WORK/raw.dump")
  local rawbytes=$(stat -c %s "$WORK/raw.dump")
  local backup=$(secs dbform backups create bench-bk)
  local download=$(secs dbform backups download bench-bk --out "$WORK/dl.dump")
  local rss=$(peak node bin/dbform.js backups download bench-bk --out "$WORK/dl2.dump" -f "$CONFIG")
  printf '| %s | %s MB | %.1f s (%.0f MB/s) | %.1f s (%.0f MB/s) | %.1f s | %s MB |\n' "$size" "$((rawbytes / 1048576))" \
    "$raw" "$(echo "$rawbytes / 1048576 / $raw" | bc -l)" "$backup" "$(echo "$rawbytes / 1048576 / $backup" | bc -l)" "$download" "$((rss / 1024))"
}
echo "| database | dump (pg_dump -Fc) | pg_dump to a local file | dbform backups create (encrypt + store) | dbform backups download (+ decrypt, verify) | download peak RSS |"
echo "|---|---|---|---|---|---|"
report "$(fill $((SIZE_GB * 256)))"   # SIZE_GB / 4
report "$(fill $((SIZE_GB * 768)))"   # then SIZE_GB in all
