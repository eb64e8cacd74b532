#!/usr/bin/env bash
# The README's first command: a local sandbox from nothing. Installs what is missing, builds the
# PostgreSQL image, then plans and applies examples/quickstart/databases.yaml on this machine,
# prints DATABASE_URL and connects with it.
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIG=${CONFIG:-examples/quickstart/databases.yaml}
bash scripts/install-prereqs.sh
bash scripts/build-image.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build

dbform() { node bin/dbform.js "$@"; }
dbform validate -f "$CONFIG"
dbform plan -f "$CONFIG"
dbform apply --auto-approve -f "$CONFIG"
echo
echo "The connection URL of add-on shop (keep it secret):"
url=$(dbform output shop -f "$CONFIG" | sed -n 's/^DATABASE_URL=//p')
echo "DATABASE_URL=${url%%:*}://shop:***@${url#*@}"
psql "$url" -X -c "SELECT current_user, current_database(), version();"
echo
echo "A second plan finds nothing to do:"
dbform plan --detailed-exitcode -f "$CONFIG"
