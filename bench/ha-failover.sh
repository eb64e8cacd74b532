#!/usr/bin/env bash
# Failover of a highly available business add-on on a host crash, median and worst of N runs (default 5), on
# the test fleet: test/integration/ha-failover.test.ts (Patroni members on db-1 and db-2, etcd on db-3; a
# writer commits one row at a time through DATABASE_URL while the primary's host is cut: link down, then
# every process killed). Each run takes about 100 s (a fresh fleet each time). Run from the repository
# root, after `npm run build`:
#   bash bench/ha-failover.sh [N]
set -euo pipefail
runs=${1:-5}
gaps=()
for i in $(seq 1 "$runs"); do
  log=$(mktemp)
  flock -o /tmp/dbform-fleet.lock npx vitest run test/integration/ha-failover.test.ts >"$log" 2>&1 || { tail -40 "$log"; rm -f "$log"; exit 1; }
  # vitest colours its console lines: strip the escapes before matching.
  plain=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
  rm -f "$log"
  line=$(grep -E '^writer: ' <<<"$plain")
  printf 'run %d: %s; %s; %s\n' "$i" "$line" "$(grep -E '^new primary holds' <<<"$plain")" "$(grep -E '^old primary back' <<<"$plain")"
  gaps+=("$(sed -E 's/.*longest gap ([0-9]+) ms.*/\1/' <<<"$line")")
done
printf '%s\n' "${gaps[@]}" | sort -n | awk '{ v[NR]=$1 } END { m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "longest write gap over %d runs: median %d ms, worst %d ms (goal: < 10000 ms)\n", NR, m, v[NR] }'
