#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run): installs what is missing (Debian packages, a Docker
# engine, the PostgreSQL image), builds, then runs unit, golden and integration tests. In CI a missing
# prerequisite fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/prepare.sh
npx vitest run "$@"
