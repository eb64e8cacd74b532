#!/usr/bin/env bash
# Starts a fleet of N "database hosts" on this machine: each one a network
# namespace on a bridge (dbf0 for the test fleet) with its own sshd, cron and
# Docker engine, and a private copy-on-write view of /etc /var /root /home /srv
# /opt. See README.md.
#
# Usage: [DBFORM_FLEET_ID=sandbox] test/fleet/up.sh [--reuse] N [STATE_DIR]
#   N          number of hosts (1..100): db-1 .. db-N at 10.77.0.11 .. (sandbox: 10.78.0.11 ..)
#   STATE_DIR  default $DBFORM_FLEET_STATE or the fleet's own (/fleet-state, /dbform-sandbox);
#              must not be under /etc /var /root /home /srv /opt /tmp /run (hosts overlay or
#              replace those)
#   --reuse    if this fleet is already up with N hosts and answering (alive.sh), keep it
#              (hosts' files, containers and data stay) instead of starting it afresh
#
# Writes STATE_DIR/fleet.json, STATE_DIR/id_ed25519 (client key for root@ and
# dbform@ every host), STATE_DIR/known_hosts and STATE_DIR/ssh_config
# (ssh -F STATE_DIR/ssh_config db-1). This fleet, if already up, is torn down
# first (another fleet is left alone).
# Also starts an S3 endpoint (s3rver over TLS, netns dbf-s3, https://s3.fleet at
# 10.77.0.2:443, bucket dbform-backups, CA in STATE_DIR/s3/ca.pem): fleet.json "s3".
#
# Environment:
#   DBFORM_FLEET_ID       test (default) or sandbox: which fleet (names, subnet, state; lib.sh)
#   DBFORM_FLEET_IMAGE    image imported into every host's engine (default dbform-postgresql:15)
#   DBFORM_FLEET_WAIT     seconds to wait for sshd and dockerd of every host (default 30)
#   DBFORM_FLEET_KEEP_ON_FAILURE=1  leave a half-started fleet up for inspection
set -euo pipefail
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO=$(dirname "$(dirname "$HERE")")
# shellcheck source=lib.sh
. "$HERE/lib.sh"

reuse=0
[ "${1:-}" = --reuse ] && { reuse=1; shift; }
N=${1:-}
case "$N" in ''|*[!0-9]*) fdie "usage: up.sh [--reuse] N [STATE_DIR]  (N = number of hosts)" ;; esac
[ "$N" -ge 1 ] && [ "$N" -le 100 ] || fdie "N must be 1..100"
[ "$(id -u)" = 0 ] || fdie "must run as root"
STATE=$(resolve_state_dir "${2:-}")
IMAGE=${DBFORM_FLEET_IMAGE:-dbform-postgresql:15}
WAIT=${DBFORM_FLEET_WAIT:-30}

for c in ip nsenter unshare setsid dockerd docker cron ssh ssh-keygen ssh-keyscan sudo useradd openssl node; do
  command -v "$c" >/dev/null 2>&1 || fdie "$c not found (run scripts/install-prereqs.sh)"
done
[ -x /usr/sbin/sshd ] || fdie "/usr/sbin/sshd not found (run scripts/install-prereqs.sh)"
[ -f /usr/share/openssh/sshd_config ] || fdie "/usr/share/openssh/sshd_config (the stock config hosts use) not found: reinstall openssh-server"
[ -f "$REPO/node_modules/s3rver/package.json" ] || fdie "npm package s3rver missing (run npm install in $REPO)"

t0=$(now_ms)
if [ "$reuse" = 1 ] && bash "$HERE/alive.sh" "$N" "$STATE" 2>/dev/null; then
  flog "up: the $FLEET_ID fleet ($N host(s), $STATE) is already up and answering: kept as it is"
  exit 0
fi
bash "$HERE/down.sh" "$STATE"

started=0
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ "$started" = 1 ] && [ "${DBFORM_FLEET_KEEP_ON_FAILURE:-0}" != 1 ]; then
    flog "up failed; tearing the fleet down (logs stay in $STATE/hosts/*/)"
    bash "$HERE/down.sh" "$STATE" || true
  fi
}
trap on_exit EXIT

# --- image tarball (built once, then cached) -------------------------------------
TAR=$(bash "$REPO/scripts/build-image.sh" --tar)
HASH=$(bash "$REPO/scripts/build-image.sh" --hash)
t_tar=$(now_ms)

# --- state ---------------------------------------------------------------------
mkdir -p "$STATE/hosts"
chmod 755 "$STATE"
claim_state_dir "$STATE"
if [ ! -s "$STATE/id_ed25519" ] || [ ! -s "$STATE/id_ed25519.pub" ]; then
  rm -f "$STATE/id_ed25519" "$STATE/id_ed25519.pub"
  ssh-keygen -q -t ed25519 -N '' -C dbform-fleet -f "$STATE/id_ed25519"
fi
{
  for i in $(seq 1 "$N"); do
    printf '%s\t%s\n' "$(host_addr "$i")" "$(host_name "$i")"
  done
  printf '%s\t%s\n' "$FLEET_S3_ADDR" "$FLEET_S3_NAME"
} >"$STATE/hosts.list"

# S3: a fresh CA + server certificate and an empty store for every fleet.
S3=$STATE/s3
rm -rf "$S3/data"
rm -f "$S3/pid" "$S3/s3.log"
mkdir -p "$S3/data"
chmod 755 "$S3"
fleet_s3_certs "$S3" "$FLEET_S3_NAME" "$FLEET_S3_ADDR" || fdie "could not make the S3 endpoint's certificates"

# --- network -------------------------------------------------------------------
started=1
disable_ipv6() { echo 1 >"/proc/sys/net/ipv6/conf/$1/disable_ipv6" 2>/dev/null || true; }
ip link add "$FLEET_BRIDGE" type bridge
disable_ipv6 "$FLEET_BRIDGE"
ip addr add "$FLEET_BRIDGE_ADDR/$FLEET_PREFIX" dev "$FLEET_BRIDGE"
ip link set "$FLEET_BRIDGE" up

for i in $(seq 1 "$N"); do
  name=$(host_name "$i") ns=$FLEET_NS_PREFIX$(host_name "$i") veth=$FLEET_VETH_PREFIX$i
  ip netns add "$ns"
  ip link add "$veth" type veth peer name eth0 netns "$ns"
  disable_ipv6 "$veth"
  ip link set "$veth" master "$FLEET_BRIDGE" up
  nsenter --net="/run/netns/$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/eth0/disable_ipv6' 2>/dev/null || true
  ip -n "$ns" addr add "$(host_addr "$i")/$FLEET_PREFIX" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
done

# The S3 endpoint's namespace: one more veth on the bridge, no route off the subnet.
ip netns add "$FLEET_S3_NS"
ip link add "$FLEET_S3_NS" type veth peer name eth0 netns "$FLEET_S3_NS"
disable_ipv6 "$FLEET_S3_NS"
ip link set "$FLEET_S3_NS" master "$FLEET_BRIDGE" up
ip -n "$FLEET_S3_NS" addr add "$FLEET_S3_ADDR/$FLEET_PREFIX" dev eth0
ip -n "$FLEET_S3_NS" link set eth0 up
ip -n "$FLEET_S3_NS" link set lo up

# --- S3 endpoint (node takes ~1 s to answer: started first, waited for last) ---------
(
  cd /
  close_inherited_fds
  exec setsid env -i PATH="$FLEET_PATH" LANG=C.UTF-8 HOME=/ NODE_OPTIONS= \
    DBFORM_FLEET_S3_VERBOSE="${DBFORM_FLEET_S3_VERBOSE:-0}" \
    nsenter --net="/run/netns/$FLEET_S3_NS" -- \
    node --openssl-legacy-provider "$HERE/s3-server.mjs" \
    "$FLEET_S3_ADDR" "$FLEET_S3_PORT" "$S3" "$FLEET_S3_BUCKET" >"$S3/s3.log" 2>&1 </dev/null
) &
S3PID=$!
disown "$S3PID"

# --- hosts ---------------------------------------------------------------------
for i in $(seq 1 "$N"); do
  name=$(host_name "$i") ns=$FLEET_NS_PREFIX$(host_name "$i") h=$STATE/hosts/$(host_name "$i")
  rm -rf "$h/upper" "$h/work"
  rm -f "$h/docker.sock" "$h"/*.log "$h/pid" "$h/launcher.pid"
  mkdir -p "$h/docker"
  # setsid: the host must not belong to the caller's session or process group.
  (
    cd /
    close_inherited_fds
    exec setsid env -i PATH="$FLEET_PATH" LANG=C.UTF-8 HOME=/root \
      nsenter --net="/run/netns/$ns" -- \
      unshare --mount --uts --pid --fork --mount-proc \
      bash "$HERE/host-init.sh" "$name" "$STATE" "/$ns" >"$h/console.log" 2>&1 </dev/null
  ) &
  echo $! >"$h/launcher.pid"
  disown $!
done

# PID 1 of each host: the process in its netns whose pid namespace view is exactly "1".
declare -A PID1
deadline=$(( $(now_ms) + 5000 ))
for i in $(seq 1 "$N"); do
  name=$(host_name "$i") ns=$FLEET_NS_PREFIX$(host_name "$i") h=$STATE/hosts/$(host_name "$i")
  while :; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do
      if awk '/^NSpid:/ { found = (NF == 3 && $3 == 1) } END { exit !found }' "/proc/$p/status" 2>/dev/null; then
        PID1[$name]=$p
      fi
    done
    [ -n "${PID1[$name]:-}" ] && break
    if ! kill -0 "$(cat "$h/launcher.pid")" 2>/dev/null || [ "$(now_ms)" -ge "$deadline" ]; then
      tail -n 20 "$h/console.log" >&2 || true
      fdie "$name did not start (see $h/console.log)"
    fi
    sleep 0.02
  done
  echo "${PID1[$name]} $(pid_starttime "${PID1[$name]}")" >"$h/pid"
done
t_start=$(now_ms)

# --- wait for sshd and dockerd on every host ---------------------------------------
declare -A HOSTKEY
: >"$STATE/known_hosts.tmp"
pending=$(seq 1 "$N")
deadline=$(( $(now_ms) + WAIT * 1000 ))
while [ -n "$pending" ]; do
  still=""
  for i in $pending; do
    name=$(host_name "$i") addr=$(host_addr "$i") h=$STATE/hosts/$(host_name "$i")
    if ! kill -0 "${PID1[$name]}" 2>/dev/null; then
      tail -n 20 "$h/console.log" >&2 || true
      fdie "$name died during startup (see $h/console.log)"
    fi
    # A plain TCP connect first: ssh-keyscan's key exchange costs ~0.1 s of CPU.
    if [ -z "${HOSTKEY[$name]:-}" ] && (exec 3<>"/dev/tcp/$addr/22") 2>/dev/null; then
      line=$( (ssh-keyscan -T 2 -t ed25519 "$addr" 2>/dev/null || true) | awk '$2 == "ssh-ed25519" { print $2, $3; exit }')
      if [ -n "$line" ]; then
        expected=$(awk '{ print $1, $2 }' "$h/upper/etc/ssh/ssh_host_ed25519_key.pub" 2>/dev/null || true)
        [ "$line" = "$expected" ] || fdie "$name: host key from ssh-keyscan differs from the key the host generated"
        HOSTKEY[$name]=$line
        printf '%s,%s %s\n' "$name" "$addr" "$line" >>"$STATE/known_hosts.tmp"
      fi
    fi
    if [ -z "${HOSTKEY[$name]:-}" ] || ! docker -H "unix://$h/docker.sock" version -f '{{.Server.Version}}' >/dev/null 2>&1; then
      still+=" $i"
    fi
  done
  pending=$still
  if [ -n "$pending" ]; then
    if [ "$(now_ms)" -ge "$deadline" ]; then
      for i in $pending; do
        h=$STATE/hosts/$(host_name "$i")
        flog "$(host_name "$i") not ready; last lines of console.log and dockerd.log:"
        tail -n 10 "$h/console.log" "$h/dockerd.log" >&2 2>/dev/null || true
      done
      fdie "hosts not ready within ${WAIT}s:$(for i in $pending; do printf ' %s' "$(host_name "$i")"; done)"
    fi
    sleep 0.1
  fi
done
sort -t- -k2n "$STATE/known_hosts.tmp" >"$STATE/known_hosts"
rm -f "$STATE/known_hosts.tmp"
t_ready=$(now_ms)

# --- per host, in parallel: logins, a clean engine, the image ----------------------
setup_host() {
  local i=$1 name addr h dh ids t
  name=$(host_name "$i") addr=$(host_addr "$i") h=$STATE/hosts/$(host_name "$i")
  dh=unix://$h/docker.sock
  local o=(-i "$STATE/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=5
           -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$STATE/known_hosts"
           -o KexAlgorithms=curve25519-sha256)
  # Logins are checked while the engine is cleaned and the image imported.
  ssh "${o[@]}" "root@$addr" true &
  local root_login=$!
  ssh "${o[@]}" "dbform@$addr" 'sudo -n true' &
  local user_login=$!
  # The Docker data survives between fleets (so the image need not be imported
  # again); everything else a previous test left in it goes.
  ids=$(docker -H "$dh" ps -aq)
  [ -z "$ids" ] || docker -H "$dh" rm -f $ids >/dev/null
  ids=$(docker -H "$dh" volume ls -q)
  [ -z "$ids" ] || docker -H "$dh" volume rm -f $ids >/dev/null
  docker -H "$dh" network prune -f >/dev/null
  t=$(now_ms)
  local have want
  have=$(docker -H "$dh" images -q --no-trunc --filter "label=dbform.recipe=$HASH" | head -n1)
  want=$(docker -H "$dh" image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
  if [ -z "$have" ] || [ "$have" != "$want" ]; then
    # Imports $TAR (or re-tags) in this host's engine, same options and label as on the real host.
    DOCKER_HOST=$dh DBFORM_IMAGE_VERIFY=0 bash "$REPO/scripts/build-image.sh" "$IMAGE"
  fi
  echo "$(( $(now_ms) - t ))" >"$h/import.ms"
  wait "$root_login" || { echo "root login failed"; return 1; }
  wait "$user_login" || { echo "dbform login or sudo -n failed"; return 1; }
}
declare -A SETUP
for i in $(seq 1 "$N"); do
  h=$STATE/hosts/$(host_name "$i")
  setup_host "$i" >"$h/setup.log" 2>&1 &
  SETUP[$i]=$!
done
failed=""
for i in $(seq 1 "$N"); do
  wait "${SETUP[$i]}" || failed+=" $(host_name "$i")"
done
if [ -n "$failed" ]; then
  for n in $failed; do flog "$n setup failed:"; tail -n 10 "$STATE/hosts/$n/setup.log" >&2; done
  fdie "setup failed on:$failed"
fi
t_setup=$(now_ms)

# --- the S3 endpoint answers (the bucket exists before the port opens) ---------------
deadline=$(( $(now_ms) + WAIT * 1000 ))
until (exec 3<>"/dev/tcp/$FLEET_S3_ADDR/$FLEET_S3_PORT") 2>/dev/null; do
  if ! kill -0 "$S3PID" 2>/dev/null; then
    tail -n 20 "$S3/s3.log" >&2 || true
    fdie "the S3 endpoint died during startup (see $S3/s3.log)"
  fi
  if [ "$(now_ms)" -ge "$deadline" ]; then
    tail -n 20 "$S3/s3.log" >&2 || true
    fdie "the S3 endpoint did not answer on $FLEET_S3_ADDR:$FLEET_S3_PORT within ${WAIT}s (see $S3/s3.log)"
  fi
  sleep 0.05
done
echo "$S3PID $(pid_starttime "$S3PID")" >"$S3/pid"
t_s3=$(now_ms)

# --- fleet.json, ssh_config ----------------------------------------------------------
{
  printf '{\n  "id": "%s",\n  "hosts": [\n' "$FLEET_ID"
  for i in $(seq 1 "$N"); do
    name=$(host_name "$i")
    printf '    { "name": "%s", "address": "%s", "port": 22, "user": "root", "hostKey": "%s", "netns": "%s", "pid": %s, "dockerHost": "unix://%s/hosts/%s/docker.sock" }%s\n' \
      "$name" "$(host_addr "$i")" "${HOSTKEY[$name]}" "$FLEET_NS_PREFIX$name" "${PID1[$name]}" "$STATE" "$name" \
      "$([ "$i" -lt "$N" ] && echo ,)"
  done
  printf '  ],\n'
  printf '  "identityFile": "%s/id_ed25519",\n' "$STATE"
  printf '  "knownHostsFile": "%s/known_hosts",\n' "$STATE"
  printf '  "nonRootUser": "dbform",\n'
  printf '  "image": "%s",\n' "$IMAGE"
  printf '  "bridge": "%s",\n' "$FLEET_BRIDGE"
  printf '  "bridgeAddress": "%s",\n' "$FLEET_BRIDGE_ADDR"
  printf '  "subnet": "%s",\n' "$FLEET_SUBNET"
  printf '  "s3": { "endpoint": "https://%s:%s", "address": "%s", "port": %s, "region": "%s", "bucket": "%s",\n' \
    "$FLEET_S3_NAME" "$FLEET_S3_PORT" "$FLEET_S3_ADDR" "$FLEET_S3_PORT" "$FLEET_S3_REGION" "$FLEET_S3_BUCKET"
  printf '          "caFile": "%s/ca.pem", "accessKeyId": "%s", "secretAccessKey": "%s", "forcePathStyle": true,\n' \
    "$S3" "$FLEET_S3_KEY_ID" "$FLEET_S3_SECRET"
  printf '          "netns": "%s", "pid": %s, "dataDir": "%s/data" }\n' "$FLEET_S3_NS" "$S3PID" "$S3"
  printf '}\n'
} >"$STATE/fleet.json.tmp"
mv -f "$STATE/fleet.json.tmp" "$STATE/fleet.json"

{
  printf 'Host db-* %s.*\n' "$FLEET_NET"
  printf '  User root\n  IdentityFile %s/id_ed25519\n  IdentitiesOnly yes\n' "$STATE"
  printf '  UserKnownHostsFile %s/known_hosts\n  StrictHostKeyChecking yes\n  BatchMode yes\n' "$STATE"
  for i in $(seq 1 "$N"); do
    printf 'Host %s\n  HostName %s\n' "$(host_name "$i")" "$(host_addr "$i")"
  done
} >"$STATE/ssh_config"

imports=$(for i in $(seq 1 "$N"); do printf ' %s' "$(cat "$STATE/hosts/$(host_name "$i")/import.ms")"; done)
flog "up ($FLEET_ID fleet): $N host(s) in $(( $(now_ms) - t0 )) ms (teardown+tarball $((t_tar - t0)), start $((t_start - t_tar)), ready $((t_ready - t_start)), logins+image $((t_setup - t_ready)), s3 wait $((t_s3 - t_setup)); image ms per host:$imports)"
flog "ready: $STATE/fleet.json   ssh: ssh -F $STATE/ssh_config db-1   s3: https://$FLEET_S3_NAME ($FLEET_S3_ADDR:$FLEET_S3_PORT, CA $S3/ca.pem)"
