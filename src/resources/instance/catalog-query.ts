import { REPLICATION_ROLE, SLOT_PREFIX } from '../replica/model.js';

// One query reads everything the database, user and grants kinds compare, in a single round trip:
// roles (attributes, verifier, memberships), the add-on database, and per role the privileges it has
// on the database, schema public, its tables and sequences (as a histogram, so 10,000 tables cost one
// row per distinct privilege set), plus the default privileges of schema public.
//
// Per role also whether it is read-only by default (default_transaction_read_only, set by the disk-full guard)
// and the note after dbform's comment (the guard's reason).
//
// $1: the role names dbform declares; roles carrying dbform's comment are read too (removed users).
// $2: the add-on's database name (the connection may be to `postgres` when it does not exist yet).

export const MANAGED_COMMENT = 'dbform:managed';

/** A role's comment is MANAGED_COMMENT, or MANAGED_COMMENT + '; ' + a note (the disk-full guard's reason for
 *  making it read-only, host/dbform-diskguard.sh): the note does not take the role out of management. */
const ROLE_IS_MANAGED = (oid: string) =>
  `(shobj_description(${oid}, 'pg_authid') = '${MANAGED_COMMENT}' OR shobj_description(${oid}, 'pg_authid') LIKE '${MANAGED_COMMENT}; %')`;

export const CATALOG_SQL = `
WITH roles AS (
  SELECT a.* FROM pg_authid a
  WHERE a.rolname = ANY($1::text[]) OR ${ROLE_IS_MANAGED('a.oid')}
),
db AS (
  SELECT d.oid, d.datdba, coalesce(d.datacl, acldefault('d'::"char", d.datdba)) AS acl FROM pg_database d WHERE d.datname = $2
),
here AS (SELECT current_database() = $2 AS connected),
pub AS (
  SELECT n.oid, coalesce(n.nspacl, acldefault('n'::"char", n.nspowner)) AS acl FROM pg_namespace n
  WHERE n.nspname = 'public' AND (SELECT connected FROM here)
),
rels AS (
  SELECT c.relkind = 'S' AS is_seq,
         coalesce(c.relacl, acldefault((CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::"char", c.relowner)) AS acl
  FROM pg_class c JOIN pub ON c.relnamespace = pub.oid
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
),
role_rel AS (
  SELECT r.rolname, rels.is_seq,
         coalesce((SELECT string_agg(x.privilege_type, ',' ORDER BY x.privilege_type)
                   FROM aclexplode(rels.acl) x WHERE x.grantee = r.oid), '') AS privs
  FROM roles r CROSS JOIN rels
),
hist AS (
  SELECT rolname, is_seq, json_object_agg(privs, n) AS h
  FROM (SELECT rolname, is_seq, privs, count(*) AS n FROM role_rel GROUP BY 1, 2, 3) t
  GROUP BY 1, 2
)
SELECT json_build_object(
  'databaseExists', EXISTS (SELECT 1 FROM db),
  'serverMajor', (current_setting('server_version_num')::int / 10000)::text,
  'hba', pg_read_file('pg_hba.conf', 0, 1048576, true),
  'serverCert', pg_read_file('server.crt', 0, 1048576, true),
  'rootCert', pg_read_file('root.crt', 0, 1048576, true),
  'extensions', coalesce((SELECT json_agg(json_build_object(
      'name', e.extname,
      'managed', coalesce(obj_description(e.oid, 'pg_extension') = '${MANAGED_COMMENT}', false)) ORDER BY e.extname)
    FROM pg_extension e WHERE (SELECT connected FROM here) AND e.extname <> 'plpgsql'), '[]'::json),
  'databaseOwner', (SELECT pg_get_userbyid(datdba) FROM db),
  'replicaSource', json_build_object(
    'role', (SELECT json_build_object('login', rolcanlogin, 'replication', rolreplication) FROM pg_roles WHERE rolname = '${REPLICATION_ROLE}'),
    'slots', coalesce((SELECT json_agg(json_build_object('name', slot_name, 'active', active) ORDER BY slot_name)
      FROM pg_replication_slots WHERE starts_with(slot_name, '${SLOT_PREFIX}')), '[]'::json)),
  'archiver', (SELECT row_to_json(a) FROM pg_stat_archiver a),
  'roles', coalesce((SELECT json_agg(json_build_object(
      'name', r.rolname,
      'superuser', r.rolsuper, 'createrole', r.rolcreaterole, 'createdb', r.rolcreatedb,
      'replication', r.rolreplication, 'bypassrls', r.rolbypassrls, 'login', r.rolcanlogin,
      'managed', coalesce(${ROLE_IS_MANAGED('r.oid')}, false),
      'readOnly', coalesce((SELECT s.setconfig @> ARRAY['default_transaction_read_only=on'] FROM pg_db_role_setting s
                            WHERE s.setrole = r.oid AND s.setdatabase = 0), false),
      'note', substring(shobj_description(r.oid, 'pg_authid') from '^${MANAGED_COMMENT}; (.*)$'),
      'verifier', r.rolpassword,
      'memberOf', coalesce((SELECT json_agg(g.rolname ORDER BY g.rolname) FROM pg_auth_members m
                            JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid), '[]'::json),
      'ownedObjects', (SELECT count(*) FROM pg_shdepend s WHERE s.refclassid = 'pg_authid'::regclass
                         AND s.refobjid = r.oid AND s.deptype = 'o'),
      'databasePrivs', coalesce((SELECT string_agg(x.privilege_type, ',' ORDER BY x.privilege_type)
                         FROM db, aclexplode(db.acl) x WHERE x.grantee = r.oid), ''),
      'schemaPrivs', coalesce((SELECT string_agg(x.privilege_type, ',' ORDER BY x.privilege_type)
                         FROM pub, aclexplode(pub.acl) x WHERE x.grantee = r.oid), ''),
      'tables', coalesce((SELECT h FROM hist WHERE hist.rolname = r.rolname AND NOT is_seq), '{}'::json),
      'sequences', coalesce((SELECT h FROM hist WHERE hist.rolname = r.rolname AND is_seq), '{}'::json)
    ) ORDER BY r.rolname) FROM roles r), '[]'::json),
  'defaultAcls', coalesce((SELECT json_agg(json_build_object(
      'forRole', pg_get_userbyid(d.defaclrole),
      'objtype', CASE d.defaclobjtype WHEN 'r' THEN 'tables' ELSE 'sequences' END,
      'grantee', pg_get_userbyid(x.grantee),
      'privs', x.privs)
      ORDER BY pg_get_userbyid(d.defaclrole), d.defaclobjtype, pg_get_userbyid(x.grantee))
    FROM pg_default_acl d JOIN pub ON d.defaclnamespace = pub.oid,
    LATERAL (SELECT e.grantee, string_agg(e.privilege_type, ',' ORDER BY e.privilege_type) AS privs
             FROM aclexplode(d.defaclacl) e GROUP BY e.grantee) x
    WHERE d.defaclobjtype IN ('r', 'S')), '[]'::json)
) AS catalog`;
