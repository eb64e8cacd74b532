#!/usr/bin/env bash
# What both README commands need first: Debian packages and a Docker engine, the PostgreSQL image,
# the npm packages, and the TypeScript build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-prereqs.sh
bash scripts/build-image.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
# The build (tsc, usually 5-10 s) is skipped when no source changed since the last one: the stamp
# is taken before tsc starts, so an edit made during a build is seen by the next run.
if [ ! -f dist/.built ] || [ -n "$(find src tsconfig.json package.json package-lock.json -newer dist/.built -print -quit)" ]; then
  printf 'prepare: compiling TypeScript to dist/ (usually 5-10 s)\n' >&2
  mkdir -p dist
  touch dist/.built.next
  npm run --silent build
  mv -f dist/.built.next dist/.built
fi
