#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run): installs what is missing (Debian packages, a Docker
# engine, the PostgreSQL image), builds, type-checks and lints sources and tests, then runs unit, golden and
# integration tests. In CI a missing prerequisite fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/prepare.sh
# The tests also need the image of the other major version dbform runs (the upgrade test goes 15 -> 17):
# about a minute more the first time (debootstrap of trixie), instant once its tarball is cached. Not in
# prepare.sh: the quickstart runs PostgreSQL 15 only.
bash scripts/build-image.sh --version 17
# Types and lint first: vitest strips types without checking them, so a test that no longer compiles would
# still run; both take seconds, the suite minutes.
npm run --silent typecheck
npm run --silent lint
# The unit and integration projects (the upgrade project needs an older build: bench/ha-tls-move.sh).
# With arguments (a file filter, a vitest flag), one run of all of them, file after file.
if [ "$#" -gt 0 ]; then
  exec npx vitest run --project unit --project integration --project integration-2 "$@"
fi
# Without: two lanes at once, each on its own fleet (vitest.config.ts says which files the second takes and why).
# One vitest runs the files of such projects (fileParallelism off) one after another, whatever the project, so
# the second lane is a second vitest; its report follows the first's, and either failing fails the run.
lane2_log=$(mktemp /tmp/dbform-test-lane2.XXXXXX)
./node_modules/.bin/vitest run --project integration-2 >"$lane2_log" 2>&1 &
lane2=$!
trap 'kill "$lane2" 2>/dev/null || true' EXIT
lane1_rc=0
npx vitest run --project unit --project integration || lane1_rc=$?
lane2_rc=0
wait "$lane2" || lane2_rc=$?
trap - EXIT
printf '\n==== the second lane (vitest --project integration-2), exit code %s ====\n' "$lane2_rc"
cat "$lane2_log"
rm -f "$lane2_log"
printf '\nfirst lane (unit, integration): exit code %s; second lane (integration-2): exit code %s\n' "$lane1_rc" "$lane2_rc"
[ "$lane1_rc" = 0 ] && [ "$lane2_rc" = 0 ]
