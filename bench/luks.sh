#!/usr/bin/env bash
# The cost of encryption at rest, on the VM host (test/fleet/vm-host.sh: qemu TCG, a real kernel with
# dm-crypt), in one run on the same VM:
#   1. first apply of an add-on with encryptionAtRest: true, then of one without (same plan), each alone;
#   2. pgbench TPC-B, scale 10, on each (initialised, then SECONDS seconds of 4 clients), and the ratio.
# TCG emulates the CPU (AES-NI included), so absolute figures are far below a real host's; the ratio is
# what this measures. Run from the repository root, after `npm run build`, as root:
#   bash bench/luks.sh [SECONDS]    (default 60)
set -euo pipefail
SECS=${1:-60}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VM="bash $REPO/test/fleet/vm-host.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export DBFORM_MASTER_KEY=bench-luks-master-key-0001 XDG_CONFIG_HOME=$WORK/xdg NO_COLOR=1

exec 9>/tmp/dbform-fleet.lock
flock 9
$VM up >&2
host=$(node -e '
const v = require(process.argv[1]);
console.log(`  ${v.name}:\n    address: ${v.address}\n    port: ${v.port}\n    user: ${v.user}\n    hostKey: ${v.hostKey}\n    identityFile: ${v.identityFile}\n    dataDir: ${v.dataDir}`);
' "${DBFORM_VM_STATE:-/fleet-vm}/vm.json")

addon() { # NAME PORT ENCRYPTED
  printf '  %s:\n    plan: postgresql-sandbox\n    port: %s\n    encryptionAtRest: %s\n    disk: 1GB\n' "$1" "$2" "$3"
}
apply_ms() { # CONFIG-BODY -> ms of `dbform apply`
  printf 'version: 1\nhosts:\n%s\naddons:\n%s\n' "$host" "$1" >"$WORK/databases.yaml"
  local t0
  t0=$(date +%s%3N)
  node "$REPO/bin/dbform.js" apply --auto-approve -f "$WORK/databases.yaml" >"$WORK/apply.log" 2>&1 || { cat "$WORK/apply.log" >&2; exit 1; }
  echo $(( $(date +%s%3N) - t0 ))
}

enc=$(addon bench-enc 31301 true)
plain=$(addon bench-plain 31302 false)
ms_enc=$(apply_ms "$enc")
vol=$(grep -oE 'addon\.bench-enc\.volume: done \([0-9.]+s\)' "$WORK/apply.log" | grep -oE '[0-9.]+s')
ms_plain=$(apply_ms "$enc"$'\n'"$plain")
printf 'first apply, encrypted add-on:   %6d ms (of which the LUKS volume: %s)\n' "$ms_enc" "$vol"
printf 'first apply, unencrypted add-on: %6d ms\n' "$ms_plain"

pgbench() { # ADDON PORT -> tps
  $VM ssh "docker exec dbform-$1 pgbench -q -i -s 10 -h /tmp -p $2 -U postgres $1 >/dev/null 2>&1 &&
    docker exec dbform-$1 pgbench -c 4 -j 2 -T $SECS -h /tmp -p $2 -U postgres $1 2>/dev/null" |
    awk '/^tps = / { print $3; exit }'
}
tps_enc=$(pgbench bench-enc 31301)
tps_plain=$(pgbench bench-plain 31302)
printf 'pgbench TPC-B scale 10, 4 clients, %s s: encrypted %s tps, unencrypted %s tps, ratio %s\n' "$SECS" "$tps_enc" "$tps_plain" \
  "$(awk -v a="$tps_enc" -v b="$tps_plain" 'BEGIN { printf "%.2f", a / b }')"
$VM ssh 'docker rm -f dbform-bench-enc dbform-bench-plain >/dev/null; umount /data/dbform/bench-enc; cryptsetup close dbform-bench-enc; rm -rf /data/dbform/bench-* /data/dbform/.volumes/bench-*' || true
$VM down
