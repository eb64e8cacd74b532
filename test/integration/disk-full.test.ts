import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, fleetDown, fleetUp, hostsYaml, psqlOn } from './fleet-harness.js';
import { Workspace, expectEmptyPlan } from './harness.js';

// The disk-full guard on the fleet: cron on the host runs it every minute. An add-on with a 300 MB disk is
// filled past 95 %: its roles turn read-only (writes fail, reads work, the superuser still writes), apply
// leaves that alone and plan shows it as a warning only. Data deleted: writes come back by themselves.
// No index is corrupt (amcheck). A second add-on on the same host, far from full, is never touched.

const FULL = 'full';
const CALM = 'calm';
const PORT = 31301;
const CALM_PORT = 31302;
const QUOTA_KB = 300 * 1024;
const READ_ONLY = '25006'; // read_only_sql_transaction
const ws = new Workspace();
let fleet: Fleet;
let urls: Record<string, string>;
let calmUrl: string;

const db1 = () => fleet.hosts[0]!;
const onHost = (cmd: string) => spawnSync('nsenter', ['-t', String(db1().pid), '-m', 'sh', '-c', cmd], { encoding: 'utf8' });
const usedKb = () => Number(onHost(`du -sk /var/lib/dbform/${FULL}`).stdout.split('\t')[0]);
const superuser = (database: string, sql: string) => psqlOn(db1(), FULL, PORT, database, sql);

function config(): string {
  return `version: 1
hosts:
${hostsYaml(fleet)}defaults:
  timezone: UTC
addons:
  ${FULL}:
    plan: postgresql-sandbox
    host: db-1
    port: ${PORT}
    disk: 300MB
    users:
      app:
        access: read-write
  ${CALM}:
    plan: postgresql-sandbox
    host: db-1
    port: ${CALM_PORT}
`;
}

/** Runs `sql` in a new session of the role of `url`: null when it worked, else the SQLSTATE. */
async function tryAs(url: string, sql: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await c.query(sql);
    return null;
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function waitFor(what: string, seconds: number, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    if (await check()) return (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 3000));
  }
  throw new Error(`${what}: not within ${seconds} s`);
}

const planText = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

function rolesReadOnly(): string {
  return superuser('postgres', `SELECT string_agg(a.rolname || ':' || coalesce(s.setconfig::text, '-'), ' ' ORDER BY a.rolname)
    FROM pg_authid a LEFT JOIN pg_db_role_setting s ON s.setrole = a.oid AND s.setdatabase = 0 WHERE a.rolname IN ('full', 'app', 'postgres')`);
}

beforeAll(async () => {
  fleet = fleetUp(1);
  ws.write(config());
  const r = ws.run(['apply', '--auto-approve']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toContain(`addon.${FULL}.diskguard: done`);
  urls = ws.urls(FULL);
  calmUrl = ws.urls(CALM).DATABASE_URL!;
}, 300_000);

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('disk-full read-only mode', () => {
  it('is installed by apply: the cron file and the quota on the host, nothing secret; plan is then empty', () => {
    expectEmptyPlan(ws);
    expect(onHost(`cat /etc/cron.d/dbform_disk-${FULL}`).stdout).toMatch(/^\* \* \* \* \* root \/var\/lib\/dbform\/\.bin\/dbform-diskguard /m);
    const env = onHost(`cat /var/lib/dbform/.diskguard/${FULL}/guard.env`).stdout;
    expect(env).toContain('QUOTA_MB=300');
    expect(env).not.toMatch(/PASSWORD|postgres:\/\//i);
  });

  it('filled past 95 %: within 2 minutes writes fail with a read-only error, reads work, the superuser still writes', async () => {
    const owner = urls.DATABASE_URL!;
    expect(await tryAs(owner, `CREATE TABLE big (id serial PRIMARY KEY, v text);
      ALTER TABLE big ALTER COLUMN v SET STORAGE EXTERNAL; CREATE INDEX big_len ON big (length(v));
      GRANT ALL ON big, big_id_seq TO app`)).toBeNull();
    // 8 rows of 1 MB per statement, incompressible (stored out of line, uncompressed), until the quota is 96 % used.
    const batch = "INSERT INTO big (v) SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 32768), generate_series(1, 8) g GROUP BY g";
    while (usedKb() < 0.96 * QUOTA_KB) {
      const code = await tryAs(owner, batch);
      if (code === READ_ONLY) break; // the guard was quicker than this loop
      expect(code).toBeNull();
    }
    const crossedAt = Date.now();
    // A session already open when the guard switches is ended (it reconnects read-only).
    const held = new pg.Client({ connectionString: urls.DATABASE_URL_APP! });
    held.on('error', () => undefined);
    await held.connect();
    const waited = await waitFor('read-only', 130, async () => (await tryAs(owner, 'INSERT INTO big (v) VALUES (1)')) === READ_ONLY);
    console.log(`read-only ${((Date.now() - crossedAt) / 1000).toFixed(0)} s after crossing 96 % (${waited.toFixed(0)} s of waiting)`);
    expect(await held.query('SELECT 1').then(() => false, () => true)).toBe(true);
    await held.end().catch(() => undefined);

    const rows = Number(superuser(FULL, 'SELECT count(*) FROM big'));
    expect(rows).toBeGreaterThan(10);
    // Reads work, and see every row whole: the 1 MB rows, and the one-byte rows the waiting loop wrote before
    // the switch (what the superuser reads too).
    const c = new pg.Client({ connectionString: owner });
    await c.connect();
    try {
      const whole = "SELECT count(*)::int AS n, count(*) FILTER (WHERE length(v) = 1048576 OR v = '1')::int AS whole FROM big";
      expect((await c.query(whole)).rows[0]).toEqual({ n: rows, whole: rows });
      await expect(c.query("UPDATE big SET v = 'x' WHERE id = 1")).rejects.toMatchObject({ code: READ_ONLY });
    } finally {
      await c.end();
    }
    expect(await tryAs(urls.DATABASE_URL_APP!, 'DELETE FROM big WHERE id = 1')).toBe(READ_ONLY);
    expect(rolesReadOnly()).toMatch(/^app:\{default_transaction_read_only=on\} full:\{default_transaction_read_only=on\} postgres:-$/);
    expect(superuser('postgres', "SELECT shobj_description(oid, 'pg_authid') FROM pg_authid WHERE rolname = 'full'")).toMatch(
      /^dbform:managed; read-only since \S+Z: its data directory uses \d+ MB of its 300 MB disk \((9[5-9]|1\d\d) %\); writable again below 90 %$/,
    );
    superuser(FULL, 'CREATE TABLE by_superuser (x int); INSERT INTO by_superuser VALUES (1); DROP TABLE by_superuser');
  }, 400_000);

  it('the other add-on, far from full, is untouched (negative control)', async () => {
    expect(await tryAs(calmUrl, 'CREATE TABLE IF NOT EXISTS t (x int); INSERT INTO t VALUES (1)')).toBeNull();
    expect(psqlOn(db1(), CALM, CALM_PORT, 'postgres', "SELECT count(*) FROM pg_db_role_setting s JOIN pg_authid a ON a.oid = s.setrole WHERE a.rolname = 'calm'")).toBe('0');
    expect(onHost(`cat /var/lib/dbform/.diskguard/${CALM}/status`).stdout).toMatch(/^MODE=read-write$/m);
  });

  it('read-only: apply changes nothing (the roles stay read-only) and plan is empty but warns', () => {
    const r = ws.run(['apply', '--auto-approve']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(rolesReadOnly()).toContain('full:{default_transaction_read_only=on}');
    const out = planText(expectEmptyPlan(ws));
    expect(out).toMatch(/Warning: add-on full is read-only because its disk is full \(app, full\): read-only since .* \((9[5-9]|1\d\d) %\)/);
    const drift = ws.run(['drift']); // the scheduled check alerts: a full disk needs a person
    expect(drift.stdout + drift.stderr).toContain('add-on full is read-only because its disk is full');
    expect(drift.code).toBe(2);
    const status = ws.run(['status', FULL]);
    expect(status.stdout).toMatch(/disk guard {3}READ-ONLY \(disk full: writes refused until below 90 %\), (9\d|1\d\d) % of its disk used at \S+Z/);
  });

  it('data deleted (the session lifts its own default): writes come back by themselves within 2 minutes', async () => {
    const c = new pg.Client({ connectionString: urls.DATABASE_URL! });
    await c.connect();
    try {
      await c.query('SET default_transaction_read_only = off'); // documented: a default, not a lock
      await c.query('DELETE FROM big WHERE id % 10 <> 0');
      await c.query('VACUUM FULL big');
    } finally {
      await c.end();
    }
    // The WAL of the inserts goes at the next checkpoint (every 5 minutes by itself): ask for it now.
    superuser('postgres', 'CHECKPOINT');
    const freedAt = Date.now();
    console.log(`after deleting: ${Math.round(usedKb() / 1024)} MB of 300 MB`);
    expect(usedKb()).toBeLessThan(0.9 * QUOTA_KB);
    await waitFor('writable again', 130, async () => (await tryAs(urls.DATABASE_URL!, 'INSERT INTO big (v) VALUES (1)')) === null);
    console.log(`writable again ${((Date.now() - freedAt) / 1000).toFixed(0)} s after the space was freed`);
    expect(await tryAs(urls.DATABASE_URL_APP!, 'DELETE FROM big WHERE v = $$1$$')).toBeNull();
    expect(rolesReadOnly()).toMatch(/^app:- full:- postgres:-$/);
    expect(superuser('postgres', "SELECT shobj_description(oid, 'pg_authid') FROM pg_authid WHERE rolname = 'full'")).toBe('dbform:managed');
  }, 300_000);

  it('no corruption: amcheck finds every index sound; the rows kept are whole', () => {
    superuser(FULL, 'CREATE EXTENSION IF NOT EXISTS amcheck');
    const checked = superuser(FULL, `SELECT count(bt_index_check(c.oid, true)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'btree' AND c.relpersistence <> 't'`);
    expect(Number(checked)).toBeGreaterThan(100); // the catalog's indexes and big's two
    expect(superuser(FULL, "SELECT count(*) FROM big WHERE length(v) <> 1024 * 1024 AND v <> '1'")).toBe('0');
    superuser(FULL, 'DROP EXTENSION amcheck');
  });

  it('read-write again: apply then plan is empty, without the warning', () => {
    const r = ws.run(['apply', '--auto-approve']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(planText(expectEmptyPlan(ws))).not.toContain('read-only');
    const drift = ws.run(['drift']);
    expect(drift.stdout).toContain('No drift');
    expect(drift.code).toBe(0);
  });
});
