#!/usr/bin/env bash
# RPO of point-in-time recovery when a host loses its disk, worst of N rounds (default 5), on the test fleet:
# the RPO test of test/integration/pitr-restore.test.ts with DBFORM_RPO_ROUNDS=N (a writer commits a row a
# second for 80 s, the instance is killed and its data directory deleted, `dbform restore --to latest`).
# Each round takes about 100 s. Run from the repository root, after `npm run build`:
#   bash bench/rpo.sh [N]
set -euo pipefail
rounds=${1:-5}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
DBFORM_RPO_ROUNDS=$rounds flock -o /tmp/dbform-fleet.lock \
  npx vitest run test/integration/pitr-restore.test.ts >"$log" 2>&1 || { tail -40 "$log"; exit 1; }
# vitest colours its console lines: strip the escapes before matching.
plain=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
grep -E 'RPO round|rows back after' <<<"$plain"
grep -oE 'RPO round [0-9]+: [0-9.]+ s' <<<"$plain" | awk '{ v=$4+0; if (v>w) w=v } END { printf "worst RPO of %d rounds: %.1f s (goal: <= 60 s)\n", NR, w }'
