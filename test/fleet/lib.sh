# Shared by up.sh and down.sh (sourced, not run).
# shellcheck shell=bash

# A fleet's identity: every machine-wide name (bridge, netns, veths, subnet, cgroups) and its default
# STATE_DIR come from DBFORM_FLEET_ID, so two fleets can be up at once and each script only ever
# touches its own. "test" (the default) is the test suite's fleet, "test2" the fleet of its second lane (the
# suite runs two lanes of files at once, scripts/test.sh); "test3" a third, for running one file by hand while
# both lanes' fleets are busy; "sandbox" is the quickstart's.
FLEET_ID=${DBFORM_FLEET_ID:-test}
case "$FLEET_ID" in
  test)    FLEET_TAG=dbf FLEET_NET=10.77.0 FLEET_DEFAULT_STATE=/fleet-state ;;
  test2)   FLEET_TAG=dbt FLEET_NET=10.79.0 FLEET_DEFAULT_STATE=/fleet-state-2 ;;
  test3)   FLEET_TAG=dbu FLEET_NET=10.80.0 FLEET_DEFAULT_STATE=/fleet-state-3 ;;
  sandbox) FLEET_TAG=dbs FLEET_NET=10.78.0 FLEET_DEFAULT_STATE=/dbform-sandbox ;;
  *) printf 'fleet: ERROR: DBFORM_FLEET_ID=%s: use test (the default), test2, test3 or sandbox\n' "$FLEET_ID" >&2; exit 1 ;;
esac
FLEET_BRIDGE=${FLEET_TAG}0             # dbf0 / dbs0
FLEET_BRIDGE_ADDR=$FLEET_NET.1
FLEET_PREFIX=24
FLEET_SUBNET=$FLEET_NET.0/$FLEET_PREFIX
FLEET_NS_PREFIX=${FLEET_TAG}-          # netns dbf-db-1, ...; also the hosts' cgroup parent /dbf-db-1
FLEET_VETH_PREFIX=${FLEET_TAG}-v       # root-side veth dbf-v1, ... (the host side is eth0)
FLEET_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# close_inherited_fds, for the daemons up.sh starts.
# shellcheck source=../../scripts/close-inherited-fds.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/close-inherited-fds.sh"

flog() { printf 'fleet: %s\n' "$*" >&2; }
fdie() { printf 'fleet: ERROR: %s\n' "$*" >&2; exit 1; }

# Milliseconds since the epoch.
now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }

host_name() { echo "db-$1"; }
host_addr() { echo "$FLEET_NET.$((10 + $1))"; }

# Resolve STATE_DIR to an absolute path and refuse places a host cannot use:
# overlay upper dirs may not live on the overlaid trees (/etc /var /root /home
# /srv /opt), and /tmp /run /dev are replaced by tmpfs inside every host.
resolve_state_dir() {
  local s=${1:-${DBFORM_FLEET_STATE:-$FLEET_DEFAULT_STATE}} d
  case "$s" in /*) ;; *) s=$PWD/$s ;; esac
  s=$(realpath -m "$s")
  [ "$s" != / ] || fdie "STATE_DIR may not be /"
  for d in /etc /var /root /home /srv /opt /tmp /run /dev /proc /sys /usr; do
    case "$s/" in "$d"/*) fdie "STATE_DIR $s is under $d, which every host overlays or replaces; use e.g. $FLEET_DEFAULT_STATE" ;; esac
  done
  # dockerd listens on STATE_DIR/hosts/db-NNN/docker.sock (unix socket paths max 107 bytes).
  [ "${#s}" -le 70 ] || fdie "STATE_DIR path is too long (${#s} > 70 characters)"
  printf '%s\n' "$s"
}

# A STATE_DIR belongs to the fleet that first used it (STATE_DIR/fleet-id): pids recorded there must
# never be killed in the name of another fleet.
claim_state_dir() {
  local s=$1 owner
  owner=$(cat "$s/fleet-id" 2>/dev/null || true)
  [ -z "$owner" ] || [ "$owner" = "$FLEET_ID" ] \
    || fdie "STATE_DIR $s belongs to fleet '$owner', not '$FLEET_ID' (DBFORM_FLEET_ID)"
  [ -n "$owner" ] || [ ! -d "$s" ] || printf '%s\n' "$FLEET_ID" >"$s/fleet-id"
}

# Names of this fleet's host network namespaces that exist now.
fleet_netns() {
  ip netns list 2>/dev/null | awk -v p="${FLEET_NS_PREFIX}db-" 'index($1, p) == 1 && $1 ~ /-[0-9]+$/ { print $1 }'
}

# Start time (clock ticks since boot) of a pid, to tell a recycled pid apart.
pid_starttime() { awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null; }

# --- S3 endpoint (s3rver over TLS in netns dbf-s3) --------------------------------
FLEET_S3_NS=${FLEET_TAG}-s3   # its netns; the root-side veth has the same name
FLEET_S3_ADDR=$FLEET_NET.2
FLEET_S3_PORT=443
FLEET_S3_NAME=s3.fleet        # in every host's /etc/hosts
FLEET_S3_BUCKET=dbform-backups
FLEET_S3_REGION=us-east-1
FLEET_S3_KEY_ID=S3RVER        # the only key pair s3rver knows
FLEET_S3_SECRET=S3RVER

# A fresh CA and a server certificate for NAME and IP, in DIR:
# ca.pem (give this to clients), ca.key, server.key, server.crt. EC P-256 (fast).
fleet_s3_certs() {
  local dir=$1 name=$2 ip=$3 tmp
  tmp=$(mktemp -d)
  (
    set -e
    cd "$tmp"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout ca.key -out ca.pem -days 3650 -subj "/CN=dbform test fleet CA $(date -u +%FT%TZ)" \
      -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout server.key -out server.csr -subj "/CN=$name" 2>/dev/null
    printf 'subjectAltName=DNS:%s,IP:%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
      "$name" "$ip" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
      -days 825 -extfile server.ext -out server.crt 2>/dev/null
    chmod 600 ca.key server.key
    chmod 644 ca.pem server.crt
    mv -f ca.key ca.pem server.key server.crt "$dir/"
  )
  local rc=$?
  rm -rf "$tmp"
  return $rc
}

# rclone flags for an on-the-fly remote on the fleet's endpoint (:s3:BUCKET/KEY), one
# line, no quoting needed. $1 (required): the CA file's path where rclone runs.
# --s3-no-check-bucket: the bucket exists; do not try to create it (as with a
# least-privilege key on a real provider).
fleet_s3_rclone_flags() {
  local ca=${1:?fleet_s3_rclone_flags CA_FILE}
  printf -- '--config /dev/null --s3-provider Other --s3-endpoint https://%s --s3-region %s --s3-access-key-id %s --s3-secret-access-key %s --s3-force-path-style --s3-no-check-bucket --ca-cert %s\n' \
    "$FLEET_S3_NAME" "$FLEET_S3_REGION" "$FLEET_S3_KEY_ID" "$FLEET_S3_SECRET" "$ca"
}
