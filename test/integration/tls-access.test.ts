import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, dockerOn, fleetDown, fleetUp, hostsYaml, psqlOn } from './fleet-harness.js';
import { Workspace, expectEmptyPlan } from './harness.js';

// TLS, forced TLS, allowedIps and users that stay exactly as declared, on real SSH hosts. The tests
// run in the machine's namespace, at 10.77.0.1 on the fleet's bridge; db-2 serves as a second client.

const CANARY = 'canary-tls-9c41d07e';
const HOSTILE = 'we"ird; DROP TABLE victim; --';
let fleet: Fleet;
const ws = new Workspace();
const env = { SECURE_REPORTING_PASSWORD: CANARY };

function config(opts: { force: boolean }): string {
  return `version: 1
hosts:
${hostsYaml(fleet)}addons:
  secure:
    plan: postgresql-starter-256
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    host: db-1
    port: 31001
    tls:
      force: ${opts.force}
    allowedIps: [10.77.0.1/32]
    extensions: [pg_trgm, "uuid-ossp"]
    users:
      reporting:
        access: read-only
        passwordEnv: SECURE_REPORTING_PASSWORD
      '${HOSTILE}':
        access: read-write
`;
}

const db1 = () => fleet.hosts.find((h) => h.name === 'db-1')!;
let ca: string;
let urls: Record<string, string>;

function client(url: string, ssl: pg.ClientConfig['ssl']): pg.Client {
  const u = new URL(url);
  return new pg.Client({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1), ssl, connectionTimeoutMillis: 10_000 });
}

async function connects(url: string, ssl: pg.ClientConfig['ssl']): Promise<string> {
  const c = client(url, ssl);
  try {
    await c.connect();
    const r = await c.query<{ ssl: boolean; version: string | null }>('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return r.rows[0]!.ssl ? `ok ${r.rows[0]!.version}` : 'ok plain';
  } catch (e) {
    return `refused: ${(e as Error).message}`;
  } finally {
    await c.end().catch(() => undefined);
  }
}

beforeAll(() => {
  fleet = fleetUp(3);
  ws.write(config({ force: true }));
  const r = ws.run(['apply', '--auto-approve'], env);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  urls = ws.urls('secure', env);
  ca = ws.run(['output', 'secure', '--ca'], env).stdout;
  psqlOn(db1(), 'secure', 31001, 'secure', 'SET ROLE secure; CREATE TABLE victim (x int)');
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('TLS and access rules', () => {
  it('plan is empty after apply; the extensions exist', () => {
    expectEmptyPlan(ws, env);
    expect(psqlOn(db1(), 'secure', 31001, 'secure', 'SELECT string_agg(extname, \',\' ORDER BY extname) FROM pg_extension')).toBe('pg_trgm,plpgsql,uuid-ossp');
  });

  it('with force, a non-TLS client is refused and a verify-full client with the CA succeeds', async () => {
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(await connects(urls.DATABASE_URL_REPORTING!, false)).toMatch(/refused: pg_hba\.conf rejects connection for host "10\.77\.0\.1", user "reporting", database "secure", no encryption/);
    expect(await connects(urls.DATABASE_URL_REPORTING!, { ca, rejectUnauthorized: true })).toMatch(/^ok TLSv1\.[23]$/);
  });

  it('a TLSv1.1-only client is refused while the same client speaking TLSv1.2 is accepted', async () => {
    // SECLEVEL=0 lets this client offer TLS 1.1 at all, so the refusal comes from the server.
    const legacy = { ca, ciphers: 'DEFAULT:@SECLEVEL=0', minVersion: 'TLSv1.1' as const };
    expect(await connects(urls.DATABASE_URL_REPORTING!, { ...legacy, maxVersion: 'TLSv1.1' })).toMatch(/refused: .*(protocol version|unsupported protocol|no protocols)/i);
    expect(await connects(urls.DATABASE_URL_REPORTING!, { ...legacy, maxVersion: 'TLSv1.2' })).toBe('ok TLSv1.2');
  });

  it('a client expecting another host name fails verification', async () => {
    expect(await connects(urls.DATABASE_URL_REPORTING!, { ca, servername: 'db-9.example' })).toMatch(/refused: .*(altnames|does not match)/i);
  });

  it('an address outside allowedIps is refused (db-2 as the client)', () => {
    const psql = (netns: string[]) =>
      spawnSync(netns[0] ?? 'psql', [...netns.slice(1), ...(netns.length ? ['psql'] : []), '-X', '-At', '-c', 'SELECT 1', `${urls.DATABASE_URL_REPORTING!.split('?')[0]}?sslmode=require`], { encoding: 'utf8' });
    const fromDb2 = psql(['ip', 'netns', 'exec', 'dbf-db-2']);
    expect(fromDb2.status).not.toBe(0);
    expect(fromDb2.stderr).toMatch(/pg_hba\.conf rejects connection for host "10\.77\.0\.12"/);
    const fromHere = psql([]);
    expect(fromHere.stdout.trim()).toBe('1');
  });

  it('turning force off is an access change that must be allowed, then plain connections work', async () => {
    ws.write(config({ force: false }));
    const plan = ws.run(['plan'], env);
    expect(plan.stdout).toContain('~ addon.secure.access');
    expect(plan.stdout).toMatch(/ACCESS_CHANGE: clients may connect without TLS again/);
    expect(ws.run(['apply', '--auto-approve'], env).stderr).toContain('--allow-hazards ACCESS_CHANGE');
    expect(ws.run(['apply', '--auto-approve', '--allow-hazards', 'ACCESS_CHANGE'], env).code).toBe(0);
    expect(await connects(urls.DATABASE_URL_REPORTING!, false)).toBe('ok plain');
    expectEmptyPlan(ws, env);
    ws.write(config({ force: true }));
    expect(ws.run(['apply', '--auto-approve', '--allow-hazards', 'ACCESS_CHANGE'], env).code).toBe(0);
    expect(await connects(urls.DATABASE_URL_REPORTING!, false)).toMatch(/^refused/);
    expectEmptyPlan(ws, env);
  });

  it('pg_hba.conf edited by hand is found and restored', () => {
    dockerOn(db1(), ['exec', 'dbform-secure', 'sh', '-c', `echo 'host all all 0.0.0.0/0 trust' >> /var/lib/dbform/pgdata/pg_hba.conf`]);
    const plan = ws.run(['plan', '--detailed-exitcode'], env);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('pg_hba.conf was changed outside dbform');
    // The plan shows the hand edit as a unified diff of the host's file against what apply writes.
    expect(plan.stdout).toMatch(/--- db-1:\S+\/pgdata\/pg_hba\.conf \(on the host\)\n.*\n(?:.*\n)*? *-host all all 0\.0\.0\.0\/0 trust\n/);
    expect(ws.run(['apply', '--auto-approve', '--allow-hazards', 'ACCESS_CHANGE'], env).code).toBe(0);
    expect(dockerOn(db1(), ['exec', 'dbform-secure', 'cat', '/var/lib/dbform/pgdata/pg_hba.conf'])).not.toContain('trust');
    expectEmptyPlan(ws, env);
  });

  it('a user named with quotes, spaces and a ; works as literally named, and nothing else runs', async () => {
    expect(psqlOn(db1(), 'secure', 31001, 'postgres', `SELECT count(*) FROM pg_roles WHERE rolname = $$${HOSTILE}$$`)).toBe('1');
    const url = Object.entries(urls).find(([k]) => k.startsWith('DATABASE_URL_WE_IRD'))![1];
    const c = client(url, { ca });
    await c.connect();
    expect((await c.query('SELECT current_user AS u')).rows[0].u).toBe(HOSTILE);
    await c.query('INSERT INTO victim VALUES (1)');
    await c.end();
    expect(psqlOn(db1(), 'secure', 31001, 'secure', 'SELECT count(*) FROM victim')).toBe('1');
  });

  it('300 tables and 50 sequences: plan stays empty; a manual GRANT and REVOKE are found and repaired in one pass', () => {
    const ddl = [
      ...Array.from({ length: 300 }, (_, i) => `CREATE TABLE t${i} (id int);`),
      ...Array.from({ length: 50 }, (_, i) => `CREATE SEQUENCE s${i};`),
    ].join('\n');
    psqlOn(db1(), 'secure', 31001, 'secure', `SET ROLE secure;\n${ddl}`);
    expectEmptyPlan(ws, env);
    psqlOn(db1(), 'secure', 31001, 'secure', 'REVOKE SELECT ON t17 FROM reporting; GRANT INSERT ON t42 TO reporting; REVOKE USAGE ON s3 FROM secure');
    const plan = ws.run(['plan', '--detailed-exitcode'], env);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('~ addon.secure.grants.reporting');
    expect(plan.stdout).toMatch(/"1 none; 1 INSERT,SELECT; 299 SELECT" -> "all SELECT"/);
    const apply = ws.run(['apply', '--auto-approve'], env);
    expect(apply.code).toBe(0);
    expectEmptyPlan(ws, env);
    expect(psqlOn(db1(), 'secure', 31001, 'secure', `SELECT has_table_privilege('reporting', 't42', 'INSERT'), has_table_privilege('reporting', 't17', 'SELECT')`)).toBe('f|t');
  });

  it('the canary password is in no output, plan file, markdown plan or PostgreSQL log (log_statement=all)', () => {
    psqlOn(db1(), 'secure', 31001, 'postgres', `ALTER SYSTEM SET log_statement = 'all'; SELECT pg_reload_conf();`);
    psqlOn(db1(), 'secure', 31001, 'postgres', `ALTER ROLE reporting PASSWORD 'changed-by-hand'`);
    const planFile = join(ws.dir, 'reset.plan');
    expect(ws.run(['plan', '--out', planFile], env).stdout).toContain('password was changed outside dbform');
    const markdown = ws.run(['plan', '--format', 'markdown'], env).stdout;
    expect(ws.run(['apply', planFile], env).code).toBe(0);
    expectEmptyPlan(ws, env);
    // The server's own log files (the logging collector's jsonlog in pgdata/log), read raw: `dbform logs` masks
    // password literals, which would hide a leak from this check.
    const log = spawnSync('docker', ['-H', db1().dockerHost, 'exec', 'dbform-secure', 'sh', '-c', 'cat /var/lib/dbform/pgdata/log/*'], { encoding: 'utf8' });
    expect(log.status, log.stderr).toBe(0);
    expect(log.stdout).toContain('ALTER ROLE \\"reporting\\" PASSWORD'); // the statement is logged (JSON-escaped)...
    expect(log.stdout).not.toContain(CANARY); // ...with a verifier, never the password
    for (const text of [...ws.transcript, markdown, readFileSync(planFile, 'utf8')]) expect(text).not.toContain(CANARY);
  });
});
