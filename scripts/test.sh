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
npx vitest run --project unit --project integration "$@"
