# Drift made outside dbform: the read-only reporting user is given INSERT and UPDATE on a table and the
# right to create databases, and the citext extension is dropped.
set -eu
docker exec -i dbform-shop psql -X -q -v ON_ERROR_STOP=1 -h /tmp -p 35021 -U postgres -d shop <<'SQL'
SET ROLE shop;
CREATE TABLE orders (id int PRIMARY KEY);
RESET ROLE;
GRANT INSERT, UPDATE ON orders TO reporting;
ALTER ROLE reporting CREATEDB;
DROP EXTENSION citext;
SQL
