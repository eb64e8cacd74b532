#!/usr/bin/env bash
# Checks the test fleet end to end: up 3 hosts, containers and files isolated
# per host, sudo for the non-root user, the S3 endpoint (rclone in the image on
# one host, curl on another and from the machine), (optionally) cron, then down
# and nothing left behind.
#
# Usage: test/fleet/selftest.sh [STATE_DIR] [--cron]   (--cron waits up to ~70 s)
set -euo pipefail
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=lib.sh
. "$HERE/lib.sh"

cron=0 state_arg=""
for a in "$@"; do
  case "$a" in --cron) cron=1 ;; -*) fdie "unknown option $a" ;; *) state_arg=$a ;; esac
done
STATE=$(resolve_state_dir "$state_arg")
ok() { printf 'selftest: ok   %s\n' "$*" >&2; }
bad() { printf 'selftest: FAIL %s\n' "$*" >&2; exit 1; }
S() { local h=$1; shift; ssh -F "$STATE/ssh_config" "$h" "$@"; }

t=$(now_ms); bash "$HERE/up.sh" 3 "$STATE"; ok "up 3 hosts in $(( $(now_ms) - t )) ms"

# fleet.json is usable as documented
for i in 1 2 3; do
  addr=$(host_addr "$i")
  key=$(grep -o "\"address\": \"$addr\", \"port\": 22, \"user\": \"root\", \"hostKey\": \"ssh-ed25519 [A-Za-z0-9+/=]*\"" "$STATE/fleet.json" | sed 's/.*"hostKey": "//; s/"$//')
  [ -n "$key" ] || bad "fleet.json lacks host $addr"
  echo "$addr $key" >"$STATE/selftest_known_hosts"
  ssh -i "$STATE/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$STATE/selftest_known_hosts" "root@$addr" true || bad "ssh root@$addr with the pinned key from fleet.json"
done
rm -f "$STATE/selftest_known_hosts"
ok "ssh root@ each host with fleet.json's identityFile and pinned hostKey"

out=$(S db-1 'docker run -d --name selftest --network host --memory 256m dbform-postgresql:15 sleep 300 >/dev/null && docker ps --format "{{.Names}}"')
[ "$out" = selftest ] || bad "container on db-1: $out"
[ -z "$(S db-2 'docker ps -aq')" ] || bad "db-2 sees containers"
ok "container on db-1 runs and is not visible on db-2"

mem=$(cat "/sys/fs/cgroup/memory/${FLEET_NS_PREFIX}db-1"/*/memory.limit_in_bytes 2>/dev/null | head -n1 || true)
[ -z "$mem" ] || [ "$mem" = 268435456 ] || bad "memory limit of the container is $mem"
[ -z "$mem" ] || ok "--memory 256m enforced by the cgroup (/${FLEET_NS_PREFIX}db-1)"

S db-1 'echo probe >/etc/dbf-selftest-probe'
S db-2 '! test -e /etc/dbf-selftest-probe' || bad "db-2 sees db-1's /etc file"
[ ! -e /etc/dbf-selftest-probe ] || bad "the root namespace sees db-1's /etc file"
ok "a file in db-1's /etc is invisible on db-2 and in the root namespace"

[ "$(S db-2 hostname)" = db-2 ] || bad "hostname"
S db-3 'getent hosts db-1 >/dev/null && bash -c "exec 3<>/dev/tcp/db-1/22"' || bad "db-3 cannot reach db-1:22"
ok "hostnames set; hosts reach each other by name"

S db-1 'cmp -s /etc/ssh/sshd_config /usr/share/openssh/sshd_config' || bad "db-1's sshd_config is not Debian's stock one"
ms=$(S db-1 '/usr/sbin/sshd -T' | awk '$1 == "maxsessions" || $1 == "maxstartups" { print $1, $2 }' | sort | tr '\n' ' ')
[ "$ms" = "maxsessions 10 maxstartups 10:30:100 " ] || bad "sshd -T on db-1: $ms"
ok "sshd runs Debian's stock sshd_config ($ms)"

[ "$(S dbform@db-2 'id -un; sudo -n id -u' | tr '\n' ' ')" = "dbform 0 " ] || bad "dbform sudo"
ok "dbform@ logs in with the same key and has passwordless sudo"

v=$(S db-2 'docker run --rm dbform-postgresql:15 sh -c "postgres --version; id -u postgres"' | tr '\n' ' ')
case "$v" in *"PostgreSQL) 15."*" 100 ") ok "image on db-2: $v" ;; *) bad "image on db-2: $v" ;; esac

# S3: upload from a container on db-1 (rclone rcat, age-encrypted, multipart), read on db-2 and from the machine.
CA=$STATE/s3/ca.pem
grep -q '"s3": { "endpoint": "https://s3.fleet:443"' "$STATE/fleet.json" || bad "fleet.json lacks s3"
S db-1 "docker run --rm --network host -v $CA:/ca.pem:ro dbform-postgresql:15 sh -ec '
  age-keygen -o /tmp/k 2>/dev/null; r=\$(age-keygen -y /tmp/k)
  echo hello | rclone rcat $(fleet_s3_rclone_flags /ca.pem) :s3:$FLEET_S3_BUCKET/selftest/hello.txt
  head -c 12000000 /dev/urandom | age -r \$r | rclone rcat $(fleet_s3_rclone_flags /ca.pem) :s3:$FLEET_S3_BUCKET/selftest/big.age
  rclone cat $(fleet_s3_rclone_flags /ca.pem) :s3:$FLEET_S3_BUCKET/selftest/big.age | age -d -i /tmp/k | wc -c'" >"$STATE/selftest.out" 2>&1 \
  || { cat "$STATE/selftest.out" >&2; bad "rclone/age in a container on db-1"; }
[ "$(tail -n1 "$STATE/selftest.out")" = 12000000 ] || { cat "$STATE/selftest.out" >&2; bad "age+rclone round trip"; }
[ "$(S db-2 "curl -sSf --cacert $CA https://s3.fleet/$FLEET_S3_BUCKET/selftest/hello.txt")" = hello ] || bad "curl https://s3.fleet on db-2"
[ "$(curl -sSf --cacert "$CA" "https://$FLEET_S3_ADDR/$FLEET_S3_BUCKET/selftest/hello.txt")" = hello ] || bad "curl https://$FLEET_S3_ADDR from the machine"
want="get selftest/hello.txt 6 $(printf 'hello\n' | sha256sum | cut -d' ' -f1)"
NODE_NO_WARNINGS=1 node "$HERE/s3-check.mjs" "$STATE/fleet.json" selftest/ selftest/hello.txt >"$STATE/selftest.out" 2>&1 \
  || { cat "$STATE/selftest.out" >&2; bad "AWS SDK (s3-check.mjs) from the machine"; }
grep -qx "$want" "$STATE/selftest.out" && grep -q '^selftest/big.age ' "$STATE/selftest.out" \
  || { cat "$STATE/selftest.out" >&2; bad "s3-check.mjs output"; }
rm -f "$STATE/selftest.out"
ok "S3: rclone rcat (age, 12 MB multipart) from db-1's container; read on db-2 by name, from the machine by IP (curl, AWS SDK)"

if [ "$cron" = 1 ]; then
  S db-3 'printf "* * * * * root date +\\%%T >/tmp/cron-ran\n" >/etc/cron.d/dbfselftest'
  for _ in $(seq 1 70); do
    r=$(S db-3 'cat /tmp/cron-ran 2>/dev/null' || true)
    [ -n "$r" ] && break
    sleep 1
  done
  [ -n "$r" ] || bad "cron did not run /etc/cron.d/dbfselftest"
  ok "cron ran /etc/cron.d/dbfselftest at $r"
fi

pids=$(awk '{ print $1 }' "$STATE"/hosts/*/pid "$STATE/s3/pid")
t=$(now_ms); bash "$HERE/down.sh" "$STATE"; ok "down in $(( $(now_ms) - t )) ms"

[ -z "$(fleet_netns)" ] || bad "netns left: $(fleet_netns)"
! ip netns list | grep -q "^$FLEET_S3_NS\b" || bad "netns $FLEET_S3_NS left"
! ip -o link show | grep -qE ": ($FLEET_BRIDGE|$FLEET_VETH_PREFIX[0-9]+|$FLEET_S3_NS)[@:]" || bad "links left"
! grep -q " $STATE/" /proc/mounts || bad "mounts left under $STATE"
for p in $pids; do
  [ ! -d "/proc/$p" ] || [ "$(awk '/^State:/ { print $2 }' "/proc/$p/status")" = Z ] || bad "host pid $p still alive"
done
! ps -eo args | grep -q '^sleep 300$' || bad "container process left"
! ls -d /sys/fs/cgroup/*/"${FLEET_NS_PREFIX}"db-* >/dev/null 2>&1 || bad "cgroups left"
ok "nothing left: netns, links, mounts, host and S3 processes, container processes, cgroups"
