#!/usr/bin/env bash
# The README's first command: a sandbox from nothing. Installs what is missing, builds the PostgreSQL
# image, starts two SSH hosts of the *sandbox* fleet (network namespaces with their own sshd and Docker
# engine, see test/fleet/README.md; never the test suite's fleet), writes a databases.yaml for them,
# applies it (printing the plan), prints DATABASE_URL, connects with it and plans again (nothing to do).
#   npm run quickstart               two SSH hosts (db-1, db-2); state, config and master key in /dbform-sandbox
#   npm run quickstart -- --local    examples/quickstart/databases.yaml on this machine, no SSH
#   npm run quickstart -- --down     removes both sandboxes (scripts/quickstart-down.sh)
# A second run keeps what the first made (the fleet is reused while it answers) and changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
SANDBOX=/dbform-sandbox
say() { printf 'quickstart: %s\n' "$*" >&2; }

mode=fleet
for a in "$@"; do
  case "$a" in
    --local) mode=local ;;
    --down) exec bash scripts/quickstart-down.sh ;;
    *) say "unknown argument $a (use --local or --down)"; exit 1 ;;
  esac
done

bash scripts/prepare.sh
dbform() { node bin/dbform.js "$@"; }

# One master key for both sandboxes: it encrypts what dbform keeps on the hosts (in real use it lives
# in your secret store). Mode 600: root only.
mkdir -p "$SANDBOX"
chmod 755 "$SANDBOX"
if [ ! -s "$SANDBOX/master.key" ]; then
  (umask 077 && node -e "process.stdout.write(require('crypto').randomBytes(32).toString('base64') + '\n')" >"$SANDBOX/master.key")
fi
chmod 600 "$SANDBOX/master.key"
export DBFORM_MASTER_KEY
DBFORM_MASTER_KEY=$(cat "$SANDBOX/master.key")

if [ "$mode" = local ]; then
  CONFIG=$REPO/examples/quickstart/databases.yaml
else
  CONFIG=$SANDBOX/databases.yaml
  say "starting the sandbox fleet: 2 SSH hosts at 10.78.0.11-12 (usually ~5 s; ~20 s when the image changed; an answering fleet is kept as it is)"
  t=$SECONDS
  if ! DBFORM_FLEET_ID=sandbox bash test/fleet/up.sh --reuse 2 "$SANDBOX" 2>"$SANDBOX/up.log"; then
    tail -n 20 "$SANDBOX/up.log" >&2
    say "the sandbox fleet did not start (log: $SANDBOX/up.log)"
    exit 1
  fi
  # A kept fleet keeps its databases.yaml too (with the user's edits); fresh hosts get a fresh one
  # (their host keys are new).
  if grep -q 'kept as it is' "$SANDBOX/up.log" && [ -s "$CONFIG" ]; then
    say "the sandbox fleet was up and answering: kept, with its hosts' files, containers and data, and $CONFIG"
  else
    say "sandbox fleet started in $((SECONDS - t)) s (log: $SANDBOX/up.log)"
    node scripts/quickstart-config.mjs "$SANDBOX/fleet.json" >"$CONFIG.tmp"
    mv -f "$CONFIG.tmp" "$CONFIG"
  fi
fi

dbform validate -f "$CONFIG"
# apply prints its plan first (the same as `dbform plan`), so no separate plan is shown.
say "applying: gathers the hosts' state over SSH and SQL, prints the plan, applies it (the first time 2 PostgreSQL containers, users, TLS, backups: usually ~10-30 s; then nothing to do)"
dbform apply --auto-approve -f "$CONFIG"
echo
url=$(dbform output shop -f "$CONFIG" | sed -n 's/^DATABASE_URL=//p')
[ -n "$url" ] || { say "dbform output shop printed no DATABASE_URL"; exit 1; }
echo "DATABASE_URL of add-on shop (its password hidden here):"
echo "  ${url%%://*}://shop:***@${url#*@}"
psql "$url" -X -c "SELECT current_user, current_database(), inet_server_addr() AS server, version();"
echo "A second plan finds nothing to do:"
dbform plan --detailed-exitcode -f "$CONFIG"

bash scripts/quickstart-next.sh "$CONFIG"
