-- The users-and-grants state of one add-on's database, in a canonical order, so that the state Ansible
-- leaves can be compared with the state dbform leaves. Run in the add-on's database as the superuser;
-- :'addon' is the add-on name (its owner role and database), printed as OWNER.
WITH roles AS (
  SELECT 'role ' || CASE WHEN rolname = :'addon' THEN 'OWNER' ELSE rolname END
         || ' login=' || rolcanlogin || ' superuser=' || rolsuper || ' createrole=' || rolcreaterole
         || ' createdb=' || rolcreatedb || ' replication=' || rolreplication || ' bypassrls=' || rolbypassrls
         || ' password=' || coalesce(split_part(rolpassword, '$', 1), 'none')
         || ' member_of=' || (SELECT count(*) FROM pg_auth_members m WHERE m.member = a.oid) AS line
  FROM pg_authid a WHERE rolname IN (:'addon', 'reader', 'writer')
), acl AS (
  SELECT 'database owned by ' || pg_get_userbyid(datdba) AS what, (aclexplode(coalesce(datacl, acldefault('d', datdba)))).*
    FROM pg_database WHERE datname = current_database()
  UNION ALL
  SELECT 'schema public', (aclexplode(coalesce(nspacl, acldefault('n', nspowner)))).* FROM pg_namespace WHERE nspname = 'public'
  UNION ALL
  SELECT 'default privileges for ' || pg_get_userbyid(defaclrole) || ' on ' || defaclobjtype::text
         || ' in ' || coalesce(nullif(defaclnamespace, 0)::regnamespace::text, 'all schemas'),
         (aclexplode(defaclacl)).*
    FROM pg_default_acl
), grants AS (
  SELECT what || ': ' || CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(grantee) END
         || ' ' || string_agg(privilege_type || CASE WHEN is_grantable THEN '*' ELSE '' END, ',' ORDER BY privilege_type)
         || ' (granted by ' || pg_get_userbyid(grantor) || ')' AS line
  FROM acl GROUP BY what, grantee, grantor
)
SELECT replace(line, :'addon', 'OWNER') FROM (SELECT line FROM roles UNION ALL SELECT line FROM grants) s ORDER BY 1;
