#!/usr/bin/env bash
# Recovery time (RTO) of dbform's restores against the bare tools, on the same data in the same run, on a
# fresh test fleet of one host with the fleet's S3 endpoint (TLS, encrypted pgBackRest repository):
#   1. PITR: `dbform restore ADDON --to latest` (in place: restored beside, replayed and promoted, swapped,
#      users converged) vs bare `pgbackrest restore` + start of PostgreSQL on it until promoted;
#   2. logical: `dbform restore ADDON --backup ID` (streamed from S3, checksum, decryption, pg_restore,
#      check of every table, swap, convergence) vs `pg_restore` of the same dump (downloaded first) into a
#      new database of the same instance;
#   3. one `dbform backups drill ADDON` of the same add-on (both halves, timed).
# Both replays run with hot_standby=off (nothing connects during recovery; PostgreSQL then also replays WAL
# of a primary with more max_connections than its default 100). Each pair is run RUNS times, alternating,
# bare first. Run it under the fleet lock:
#   flock -o /tmp/dbform-fleet.lock bash bench/restore-rto.sh [SIZE_MB=1024] [RUNS=2] [PARTS=all|pitr]
# PARTS=pitr runs only the PITR pair (no logical restores, no drill).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1024}
RUNS=${2:-2}
PARTS=${3:-all}
STATE=${DBFORM_FLEET_STATE:-/fleet-state}
ADDON=bench-rto
PORT=31001
WORK=$(mktemp -d /var/tmp/dbform-bench-rto.XXXXXX)
trap 'bash test/fleet/down.sh "$STATE" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
bash test/fleet/up.sh 1 "$STATE" 2>/dev/null
fleet() { node -e "const f=require('$STATE/fleet.json'); console.log($1)"; }
DH=$(fleet 'f.hosts[0].dockerHost')
PID=$(fleet 'f.hosts[0].pid')
export DBFORM_MASTER_KEY=benchmark-master-key-000000001 XDG_CONFIG_HOME=$WORK/xdg NO_COLOR=1 NODE_NO_WARNINGS=1
export S3_ACCESS_KEY_ID=$(fleet 'f.s3.accessKeyId') S3_SECRET_ACCESS_KEY=$(fleet 'f.s3.secretAccessKey')
# pgBackRest needs the S3 endpoint by name; this machine resolves it the way the fleet's hosts do.
export NODE_OPTIONS="--import $(pwd)/test/integration/fleet-dns.mjs"
CONFIG=$WORK/databases.yaml
{
  echo 'version: 1'
  echo 'hosts:'
  node -e "const f=require('$STATE/fleet.json'); const h=f.hosts[0]; console.log('  '+h.name+':\n    address: '+h.address+'\n    user: root\n    hostKey: '+h.hostKey+'\n    identityFile: '+f.identityFile)"
  cat <<YAML
storage:
  main:
    type: s3
    endpoint: https://s3.fleet:443
    region: us-east-1
    bucket: $(fleet 'f.s3.bucket')
    accessKeyIdEnv: S3_ACCESS_KEY_ID
    secretAccessKeyEnv: S3_SECRET_ACCESS_KEY
    caFile: $(fleet 'f.s3.caFile')
defaults:
  storage: main
addons:
  $ADDON:
    plan: postgresql-starter-1024
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    host: db-1
    port: $PORT
    backups:
      pitr: true
YAML
} >"$CONFIG"

dbform() { node bin/dbform.js "$@" -f "$CONFIG"; }
dk() { docker -H "$DH" "$@"; }
onhost() { nsenter -t "$PID" -m sh -c "$1"; }
psql1() { dk exec -i "dbform-$ADDON" psql -X -q -At -v ON_ERROR_STOP=1 -h /tmp -p $PORT -U postgres -d "$1" -c "$2"; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

dbform apply --auto-approve >/dev/null
# Rows of an ordinary table with a primary key: ~1 KB each, of distinct hex text (compresses about 2x, as
# much real data does; neither random bytes nor repeated text).
psql1 "$ADDON" "CREATE TABLE items (id bigint PRIMARY KEY, name text, payload text)"
for ((i = 0; i < SIZE_MB / 128; i++)); do
  psql1 "$ADDON" "INSERT INTO items SELECT g, md5(g::text), (SELECT string_agg(md5((g * 28 + k)::text), '') FROM generate_series(1, 28) k)
    FROM generate_series($((i * 131072 + 1)), $(((i + 1) * 131072))) g"
done
SIZE=$(psql1 "$ADDON" "SELECT pg_size_pretty(pg_database_size('$ADDON'))")
ROWS=$(psql1 "$ADDON" "SELECT count(*) FROM items")
BACKUP=$(dbform backups create "$ADDON" | sed -n 's/^Backup \([^ ]*\) finished.*/\1/p')
# A full base backup of the filled database (what the weekly cron takes), then the WAL after it archived.
dk exec -u postgres "dbform-$ADDON" pgbackrest --stanza="$ADDON" --type=full backup
psql1 "$ADDON" "INSERT INTO items SELECT g, 'after base backup', '' FROM generate_series(100000001, 100001000) g"
psql1 postgres "SELECT pg_switch_wal()" >/dev/null
sleep 5
echo "add-on $ADDON: $SIZE, $ROWS rows (+1000 after the base backup); logical backup $BACKUP"

bare_pitr() {
  local t0 dir=/var/lib/dbform/bench-bare
  onhost "rm -rf $dir && mkdir -p $dir"
  dk run --rm --user root -v "$dir:/var/lib/dbform" dbform-postgresql:15 chown postgres:postgres /var/lib/dbform
  t0=$(now)
  dk run --rm --network host --user postgres -v "$dir:/var/lib/dbform" -v "/var/lib/dbform/.pitr/$ADDON/etc:/etc/pgbackrest:ro" dbform-postgresql:15 \
    sh -c "mkdir -m 700 /var/lib/dbform/pgdata && pgbackrest --stanza=$ADDON --pg1-path=/var/lib/dbform/pgdata --type=default restore"
  dk run -d --name bench-bare --network host --user postgres -v "$dir:/var/lib/dbform" -v "/var/lib/dbform/.pitr/$ADDON/etc:/etc/pgbackrest:ro" dbform-postgresql:15 \
    postgres -D /var/lib/dbform/pgdata -c listen_addresses= -c port=$PORT -c unix_socket_directories=/tmp -c archive_mode=off -c hot_standby=off >/dev/null
  until [ "$(dk exec bench-bare psql -X -At -h /tmp -p $PORT -U postgres -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]; do
    [ "$(dk inspect -f '{{.State.Status}}' bench-bare)" = running ] || { dk logs --tail 5 bench-bare >&2; exit 1; }
    sleep 0.2
  done
  since "$t0"
  [ "$(dk exec bench-bare psql -X -At -h /tmp -p $PORT -U postgres -d "$ADDON" -c 'SELECT count(*) FROM items')" = $((ROWS + 1000)) ] || { echo 'bare restore: wrong row count' >&2; exit 1; }
  dk rm -f bench-bare >/dev/null
  onhost "rm -rf $dir"
}

dbform_pitr() {
  local t0
  t0=$(now)
  dbform restore "$ADDON" --to latest --allow-hazards DATA_LOSS >"$WORK/pitr.out" 2>&1 || { cat "$WORK/pitr.out" >&2; exit 1; }
  since "$t0"
  [ "$(psql1 "$ADDON" 'SELECT count(*) FROM items')" = $((ROWS + 1000)) ] || { echo 'dbform restore: wrong row count' >&2; exit 1; }
  onhost "rm -rf /var/lib/dbform/$ADDON/pgdata.before-restore-*"
}

bare_logical() {
  local t0
  psql1 postgres "CREATE DATABASE bare_copy" >/dev/null
  t0=$(now)
  dk exec -i "dbform-$ADDON" pg_restore -h /tmp -p $PORT -U postgres --no-owner --no-privileges --exit-on-error -d bare_copy <"$WORK/backup.dump"
  since "$t0"
  psql1 postgres "DROP DATABASE bare_copy" >/dev/null
}

dbform_logical() {
  local t0
  t0=$(now)
  dbform restore "$ADDON" --backup "$BACKUP" --auto-approve --allow-hazards DATA_LOSS --drop-previous >"$WORK/logical.out" 2>&1 || { cat "$WORK/logical.out" >&2; exit 1; }
  since "$t0"
}

for ((r = 1; r <= RUNS; r++)); do
  echo "pitr $r bare $(bare_pitr)" | tee -a "$WORK/figures"
  echo "pitr $r dbform $(dbform_pitr)" | tee -a "$WORK/figures"
done
KINDS=pitr
if [ "$PARTS" = all ]; then
KINDS='pitr logical'
dbform backups download "$ADDON" --backup "$BACKUP" --out "$WORK/backup.dump" >/dev/null
DUMP_MB=$(($(stat -c %s "$WORK/backup.dump") / 1048576))
for ((r = 1; r <= RUNS; r++)); do
  echo "logical $r bare $(bare_logical)" | tee -a "$WORK/figures"
  echo "logical $r dbform $(dbform_logical)" | tee -a "$WORK/figures"
done
t0=$(now)
dbform backups drill "$ADDON" --format json >"$WORK/drill.json"
DRILL=$(since "$t0")
fi

fig() { awk -v k="$1" -v w="$2" '$1 == k && $3 == w {print $4}' "$WORK/figures" | median; }
all() { awk -v k="$1" -v w="$2" '$1 == k && $3 == w {printf "%s%.1f", (n++ ? ", " : ""), $4}' "$WORK/figures"; }
echo
echo "| restore of $SIZE ($ROWS rows) | bare tool, median (runs) | dbform, median (runs) | dbform / bare |"
echo "|---|---|---|---|"
for k in $KINDS; do
  b=$(fig $k bare) d=$(fig $k dbform)
  what=$([ $k = pitr ] && echo '`--to latest` vs `pgbackrest restore` + start' || echo "\`--backup\` vs \`pg_restore\` (dump $DUMP_MB MB)")
  printf '| %s | %.1f s (%s) | %.1f s (%s) | %.2fx |\n' "$what" "$b" "$(all $k bare)" "$d" "$(all $k dbform)" "$(echo "$d / $b" | bc -l)"
done
if [ "$PARTS" = all ]; then
  node -e "const d=require('$WORK/drill.json'); console.log('drill: ok=' + d.ok + ', ' + d.checks.map((c) => c.kind + ' ' + c.seconds.toFixed(1) + ' s (' + c.tables + ' tables, ' + c.rows + ' rows)').join(', ') + ', whole command $DRILL s')"
fi
