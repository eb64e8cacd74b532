#!/usr/bin/env bash
# The upgrade path of a highly available add-on made before its links were encrypted: builds dbform at
# PRE_TLS_COMMIT (the last commit whose HA used plain http; default a31704c) in a temporary worktree, then runs
# test/upgrade/ha-tls-move.test.ts: that build creates the cluster, this one moves it to TLS with a writer running
# (the plan's hazards, the longest write gap, no acknowledged row lost, every link TLS afterwards).
#   flock -o /tmp/dbform-fleet.lock bash bench/ha-tls-move.sh [PRE_TLS_COMMIT]
# Needs the repository's history (a full clone) and `npm run build` of this checkout first.
set -euo pipefail
cd "$(dirname "$0")/.."
COMMIT=${1:-a31704c}
OLD=$(mktemp -d /tmp/dbform-pre-tls.XXXXXX)
trap 'git worktree remove --force "$OLD" >/dev/null 2>&1 || rm -rf "$OLD"' EXIT
git worktree add --detach -q "$OLD" "$COMMIT"
ln -s "$PWD/node_modules" "$OLD/node_modules"
(cd "$OLD" && npm run --silent build >/dev/null)
DBFORM_PRE_TLS_CLI="$OLD/bin/dbform.js" npx vitest run --project upgrade
