#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run): installs what is missing (Debian packages, a Docker
# engine, the PostgreSQL image), builds, type-checks and lints sources and tests, then runs unit, golden and
# integration tests. In CI a missing prerequisite fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/prepare.sh
# Types and lint first: vitest strips types without checking them, so a test that no longer compiles would
# still run; both take seconds, the suite minutes.
npm run --silent typecheck
npm run --silent lint
npx vitest run "$@"
