# Outside dbform, after base.yaml was applied: analyst creates two tables with a serial (3 objects it
# owns), and someone gives the read-only reporting user INSERT and UPDATE (drift on the base branch too).
set -eu
psql() { docker exec -i "dbform-$1" psql -X -q -v ON_ERROR_STOP=1 -h /tmp -p "$2" -U postgres -d "$1"; }
psql shop 35011 <<'SQL'
SET ROLE analyst;
CREATE TABLE orders (id serial PRIMARY KEY, total numeric);
CREATE TABLE notes (body text);
RESET ROLE;
GRANT INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO reporting;
SQL
