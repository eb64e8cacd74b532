#!/usr/bin/env bash
# What both README commands need first: Debian packages and a Docker engine, the PostgreSQL image,
# the npm packages, and the TypeScript build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-prereqs.sh
bash scripts/build-image.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
