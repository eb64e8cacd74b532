#!/usr/bin/env bash
# The quickstart's closing lines: exactly what to type next, in this repository (npx finds the
# repository's own `dbform` bin there, with no install or link).
# Usage: scripts/quickstart-next.sh CONFIG
set -euo pipefail
CONFIG=${1:?usage: quickstart-next.sh CONFIG}
REPO=$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")
case "$CONFIG" in "$REPO"/*) CONFIG=${CONFIG#"$REPO"/} ;; esac

cat <<EOF

Your sandbox is up. Next, in $REPO:
  export DBFORM_MASTER_KEY=\$(cat /dbform-sandbox/master.key)
  npx dbform plan -f $CONFIG
  npx dbform output shop -f $CONFIG
Edit $CONFIG (add a user, an add-on), plan and apply again (npx dbform apply -f $CONFIG).
Remove both sandboxes (their hosts, containers and data):
  npm run quickstart -- --down
EOF
