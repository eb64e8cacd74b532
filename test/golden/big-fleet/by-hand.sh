# Drift made outside dbform: reporting may write to a table, and may create databases.
set -eu
docker exec -i dbform-shop psql -X -q -v ON_ERROR_STOP=1 -h /tmp -p 35041 -U postgres -d shop <<'SQL'
CREATE TABLE orders (id int PRIMARY KEY);
ALTER TABLE orders OWNER TO shop;
GRANT INSERT ON orders TO reporting;
ALTER ROLE reporting CREATEDB;
SQL
