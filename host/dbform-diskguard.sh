#!/bin/sh
# dbform-diskguard: installed and kept by dbform apply; changes made here are reverted.
# Run by cron every minute for one add-on: `dbform-diskguard GUARD_ENV`. It compares the add-on's disk use
# with its quota and switches its managed roles to read-only at 95 % (read-write again below 90 %).
#   use = the larger of: bytes under the data directory (du) against QUOTA_MB, and the used share of the
#   filesystem holding it (df: a filesystem that is itself nearly full is as dangerous as a spent quota).
# Read-only is PostgreSQL's default_transaction_read_only, set on every role whose comment starts with
# dbform:managed (the reason goes into the comment, after it); the superuser is left writable, so that dbform and the
# backups still work and data can be deleted. Sessions of the switched roles are ended so that they
# reconnect under the new default. It holds no secret: psql runs as postgres over the container's socket.
# The reserve: RESERVE_MB held in DATA_DIR/dbform-reserve while there is room. PostgreSQL stops (PANIC) when it
# cannot make its next WAL file (16 MB, made whole) and cannot start again on a full filesystem: when less than
# that is left (a writer faster than this minute's check, or the superuser), the reserve goes, so that it
# starts and serves reads again; it comes back once the disk is below LOW % with it.
# `dbform-diskguard decide MODE PERCENT` prints the mode the guard wants (the thresholds, for the tests).
set -u
HIGH=95
LOW=90

# decide CURRENT_MODE PERCENT_USED -> the mode to be in: hysteresis between LOW and HIGH.
decide() {
  if [ "$2" -ge "$HIGH" ]; then echo read-only
  elif [ "$2" -lt "$LOW" ]; then echo read-write
  else echo "$1"; fi
}

# percent USED TOTAL -> USED/TOTAL in whole percent, rounded down: 95 means at least 95 %, 89 less than 90 %.
percent() {
  if [ "$2" -le 0 ]; then echo 100; else echo $(( $1 * 100 / $2 )); fi
}

if [ "${1:-}" = decide ]; then decide "$2" "$3"; exit 0; fi
if [ "${1:-}" = percent ]; then percent "$2" "$3"; exit 0; fi

CONF=$1
val() { sed -n "s/^$1=//p" "$CONF" | head -n 1; }
ADDON=$(val ADDON) CONTAINER=$(val CONTAINER) PORT=$(val PORT) DATA_DIR=$(val DATA_DIR) QUOTA_MB=$(val QUOTA_MB)
RESERVE_MB=$(val RESERVE_MB) RESERVE=$(val DATA_DIR)/dbform-reserve
DIR=$(dirname "$CONF")

# One run at a time: a slow du or a stuck engine must not pile runs up.
exec 9>"$DIR/.lock"
flock -n 9 || exit 0

status() { # KEY=VALUE lines for `dbform status`, replaced whole; never needed for the guard's decisions.
  printf 'CHECKED=%s\nUSED_KB=%s\nQUOTA_KB=%s\nFS_PERCENT=%s\nPERCENT=%s\nMODE=%s\nERROR=%s\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${used_kb:-}" "${quota_kb:-}" "${fs_pct:-}" "${pct:-}" "${mode:-}" "$1" \
    >"$DIR/status.tmp" 2>/dev/null && mv -f "$DIR/status.tmp" "$DIR/status" 2>/dev/null
}

used_kb=$(du -sk "$DATA_DIR" 2>/dev/null | cut -f1)   # files PostgreSQL removes meanwhile are only warned about
set -- $(df -Pk "$DATA_DIR" 2>/dev/null | awk 'NR == 2 { print $3, $4 }')
if [ -z "$used_kb" ] || [ $# -ne 2 ]; then status "cannot measure $DATA_DIR"; exit 1; fi
quota_kb=$((QUOTA_MB * 1024))
quota_pct=$(percent "$used_kb" "$quota_kb")
fs_pct=$(percent "$1" $(($1 + $2)))
if [ "$fs_pct" -gt "$quota_pct" ]; then
  pct=$fs_pct why="the filesystem of its data directory is $fs_pct % full"
else
  pct=$quota_pct why="its data directory uses $((used_kb / 1024)) MB of its $QUOTA_MB MB disk ($quota_pct %)"
fi

reserve_kb=$((${RESERVE_MB:-0} * 1024))
r_pct=$(percent "$reserve_kb" "$quota_kb") r_fs=$(percent "$reserve_kb" $(($1 + $2)))
[ "$r_fs" -gt "$r_pct" ] && r_pct=$r_fs
if [ "$2" -lt 16384 ] && [ -f "$RESERVE" ]; then   # under one WAL file left: let PostgreSQL (re)start
  rm -f "$RESERVE" && logger -t dbform-diskguard "$ADDON: reserve of $RESERVE_MB MB freed, $2 kB were left" 2>/dev/null
elif [ ! -f "$RESERVE" ] && [ "$reserve_kb" -gt 0 ] && [ $((pct + r_pct + 1)) -lt "$LOW" ]; then
  { fallocate -l "${RESERVE_MB}M" "$RESERVE" 2>/dev/null || head -c $((RESERVE_MB * 1048576)) /dev/zero >"$RESERVE"; } 2>/dev/null ||
    rm -f "$RESERVE"
fi

# One statement, or two in one session (each its own transaction, the second right after the first commits).
psql_() { timeout 50 docker exec -u postgres "$CONTAINER" psql -X -q -At -v ON_ERROR_STOP=1 -h /tmp -p "$PORT" -d postgres -c "$1" ${2:+-c "$2"}; }
C="shobj_description(a.oid, 'pg_authid')"
MANAGED="($C = 'dbform:managed' OR $C LIKE 'dbform:managed; %')"   # as dbform's catalog query reads it
RO="coalesce(s.setconfig @> ARRAY['default_transaction_read_only=on'], false)"
ROLES="pg_authid a LEFT JOIN pg_db_role_setting s ON s.setrole = a.oid AND s.setdatabase = 0 WHERE $MANAGED"

# The mode is the roles' own: read-only as long as any managed role is (an interrupted switch is finished).
counts=$(psql_ "SELECT count(*) FILTER (WHERE $RO), count(*) FILTER (WHERE NOT $RO) FROM $ROLES") ||
  { status "cannot read the roles of $ADDON"; exit 1; }
ro=${counts%|*} rw=${counts#*|}
current=read-write
[ "$ro" -gt 0 ] && current=read-only
mode=$(decide "$current" "$pct")

if [ "$mode" = read-only ] && [ "$rw" -gt 0 ]; then
  stmt="ALTER ROLE %I SET default_transaction_read_only = on" pick="NOT $RO"
  comment="dbform:managed; read-only since $(date -u +%Y-%m-%dT%H:%M:%SZ): $why; writable again below $LOW %"
elif [ "$mode" = read-write ] && [ "$ro" -gt 0 ]; then
  stmt="ALTER ROLE %I RESET default_transaction_read_only" pick="$RO" comment="dbform:managed"
else
  status ""; exit 0
fi
# One transaction: every role switches, or none. Once it is committed, the sessions of the roles just switched
# end, so that they reconnect under the new default (a pool's connections would otherwise keep the old one). In
# the same session, right after the commit: a session opened after the switch (it has the new default already)
# is not ended, as it could be while a second docker exec set up.
psql_ "DO \$\$ DECLARE r record; BEGIN
  FOR r IN SELECT a.rolname FROM $ROLES AND $pick LOOP
    EXECUTE format('$stmt', r.rolname);
    EXECUTE format('COMMENT ON ROLE %I IS %L', r.rolname, \$n\$$comment\$n\$);
  END LOOP; END \$\$" "SELECT count(pg_terminate_backend(p.pid)) FROM pg_stat_activity p JOIN pg_authid a ON a.rolname = p.usename
  WHERE shobj_description(a.oid, 'pg_authid') = \$n\$$comment\$n\$" >/dev/null ||
  { status "cannot switch $ADDON to $mode (or end its sessions)"; exit 1; }
logger -t dbform-diskguard "$ADDON: $mode ($why)" 2>/dev/null
status ""
