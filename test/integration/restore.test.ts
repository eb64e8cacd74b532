import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../src/resources/backups/s3-store.js';
import { renderManifest } from '../../src/resources/backups/manifest.js';
import { type Fleet, fleetDown, fleetUp, hostsYaml, psqlOn, s3StorageYaml } from './fleet-harness.js';
import { Workspace, asUser, expectEmptyPlan } from './harness.js';

// dbform restore from logical backups, end to end on the fleet with S3 (as backups.test.ts): in place on
// db-1, into another add-on on db-2, and every bad input, each checked against the real databases.

let fleet: Fleet;
const ws = new Workspace();
const MARK = 'restore-marker-9d41';
let env: Record<string, string>;
let backupId: string;
let vaultUrl: string;

const users = `    users:
      app:
        access: read-write
      reporting:
        access: read-only
    extensions: [pgcrypto]
`;

function config(extra = ''): string {
  return `version: 1
hosts:
${hostsYaml(fleet)}${s3StorageYaml(fleet.s3)}defaults:
  storage: main
addons:
  vault:
    plan: postgresql-starter-256
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    host: db-1
    port: 31001
${users}  copy:
    plan: postgresql-starter-256
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    host: db-2
    port: 31002
${users}${extra}`;
}

const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;
const sqlVault = (db: string, sql: string) => psqlOn(host('db-1'), 'vault', 31001, db, sql);
const sqlCopy = (db: string, sql: string) => psqlOn(host('db-2'), 'copy', 31002, db, sql);
const databases = (run: (db: string, sql: string) => string) => run('postgres', 'SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1').split('\n');
const restore = (args: string[]) => ws.run(['restore', ...args], env);

beforeAll(async () => {
  fleet = fleetUp(3);
  env = { S3_ACCESS_KEY_ID: fleet.s3.accessKeyId, S3_SECRET_ACCESS_KEY: fleet.s3.secretAccessKey, NODE_NO_WARNINGS: '1' };
  ws.write(config());
  const r = ws.run(['apply', '--auto-approve'], env);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const urls = ws.urls('vault', env);
  vaultUrl = urls.DATABASE_URL!;
  await asUser(vaultUrl, async (c) => {
    await c.query('CREATE TABLE marker (id int PRIMARY KEY, v text)');
    await c.query('INSERT INTO marker SELECT g, $1 || g FROM generate_series(1, 1000) g', [MARK]);
  });
  // A table of the read-write user: after a restore it belongs to the owner, and app keeps its access.
  await asUser(urls.DATABASE_URL_APP!, (c) => c.query("CREATE TABLE notes AS SELECT 'note ' || g AS t FROM generate_series(1, 5) g"));
  const created = ws.run(['backups', 'create', 'vault'], env);
  expect(created.code, created.stdout + created.stderr).toBe(0);
  backupId = /Backup (\S+) finished/.exec(created.stdout)![1]!;
}, 600_000);

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('restore in place', () => {
  it('shows its plan and refuses without --allow-hazards DATA_LOSS, changing nothing', () => {
    sqlVault('vault', `DELETE FROM marker WHERE id > 10; DROP TABLE notes;`);
    const before = databases(sqlVault);
    const r = restore(['vault', '--backup', backupId, '--auto-approve']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('addon.vault.restore');
    expect(r.stdout).toContain(`backup ${backupId} of vault`);
    expect(r.stdout).toContain('db-1:31001');
    expect(r.stdout).toMatch(/! DATA_LOSS: the data of database vault on db-1:31001 \(1 table\) is replaced/);
    expect(r.stderr).toContain('run again with --allow-hazards DATA_LOSS');
    expect(sqlVault('vault', 'SELECT count(*) FROM marker')).toBe('10');
    expect(databases(sqlVault)).toEqual(before);
  });

  it('with DATA_LOSS allowed: the rows are back, the same DATABASE_URL works, plan is empty, the previous data is kept', async () => {
    const r = restore(['vault', '--backup', backupId, '--auto-approve', '--allow-hazards', 'DATA_LOSS']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/restored database checked: 2 tables readable, 1005 rows/);
    expect(r.stdout).toContain('Restore complete');
    expect(sqlVault('vault', `SELECT count(*) FROM marker WHERE v LIKE '${MARK}%'`)).toBe('1000');
    expect(await asUser(vaultUrl, async (c) => (await c.query('SELECT count(*)::int AS n FROM notes')).rows[0].n)).toBe(5);
    // Owner and grants as the file says: the owner owns every table, the read-write user writes, the reader reads.
    expect(sqlVault('vault', "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'")).toBe('vault');
    const urls = ws.urls('vault', env);
    await asUser(urls.DATABASE_URL_APP!, (c) => c.query("INSERT INTO marker VALUES (5000, 'after restore')"));
    expect(await asUser(urls.DATABASE_URL_REPORTING!, async (c) => (await c.query('SELECT count(*)::int AS n FROM marker')).rows[0].n)).toBe(1001);
    const kept = databases(sqlVault).filter((d) => d.startsWith('vault__before_restore_'));
    expect(kept).toHaveLength(1);
    expect(sqlVault(kept[0]!, 'SELECT count(*) FROM marker')).toBe('10');
    expect(databases(sqlVault).some((d) => d.includes('__restore_'))).toBe(false);
    expectEmptyPlan(ws, env);
  });

  it('a backup that fails its checksum leaves the add-on as it was and says why', () => {
    const created = ws.run(['backups', 'create', 'vault'], env);
    const damaged = /Backup (\S+) finished/.exec(created.stdout)![1]!;
    const object = join(fleet.s3.dataDir, fleet.s3.bucket, 'vault', `${damaged}.dump.age._S3rver_object`);
    const bytes = readFileSync(object);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    writeFileSync(object, bytes);
    const before = databases(sqlVault);
    const r = restore(['vault', '--backup', damaged, '--auto-approve', '--allow-hazards', 'DATA_LOSS']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Restore failed after .*(damaged|pg_restore failed)/);
    expect(r.stdout).toContain('Add-on vault was left as it was');
    expect(databases(sqlVault)).toEqual(before);
    expect(sqlVault('vault', 'SELECT count(*) FROM marker')).toBe('1001');
  });
});

describe('restore into another add-on', () => {
  it('into an empty add-on on db-2: no hazard, the source untouched, plan empty', () => {
    const source = sqlVault('vault', 'SELECT count(*) FROM marker');
    const r = restore(['vault', '--backup', backupId, '--into', 'copy', '--auto-approve']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('addon.copy.restore');
    expect(r.stdout).not.toContain('DATA_LOSS');
    expect(sqlCopy('copy', `SELECT count(*) FROM marker WHERE v LIKE '${MARK}%'`)).toBe('1000');
    expect(sqlCopy('copy', "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'")).toBe('copy');
    expect(sqlVault('vault', 'SELECT count(*) FROM marker')).toBe(source);
    expectEmptyPlan(ws, env);
  });

  it('into an add-on that now holds data: DATA_LOSS again', () => {
    const r = restore(['vault', '--backup', backupId, '--into', 'copy', '--auto-approve']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--allow-hazards DATA_LOSS');
  });
});

describe('bad input: a clear error, nothing changed', () => {
  const storage = () =>
    new S3Store(
      { name: 'main', type: 's3', endpoint: `https://${fleet.s3.address}:${fleet.s3.port}`, region: 'us-east-1', bucket: fleet.s3.bucket, accessKeyIdEnv: 'S3_ACCESS_KEY_ID', secretAccessKeyEnv: 'S3_SECRET_ACCESS_KEY', caFile: fleet.s3.caFile },
      ws.config,
    );

  it('an unknown add-on, --into an undeclared add-on, no --backup', () => {
    const unknown = restore(['nope', '--backup', backupId, '--auto-approve']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no add-on named nope in');
    const into = restore(['vault', '--backup', backupId, '--into', 'ghost', '--auto-approve']);
    expect(into.code).toBe(1);
    expect(into.stderr).toContain('--into ghost: no add-on named ghost in');
    const missing = restore(['vault']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('restore needs --backup ID');
  });

  it('an unknown backup id lists the nearest ones', () => {
    const typo = backupId.slice(0, -1) + (backupId.endsWith('0') ? '1' : '0');
    const r = restore(['vault', '--backup', typo, '--auto-approve', '--allow-hazards', 'DATA_LOSS']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`add-on vault has no backup ${typo}`);
    expect(r.stderr).toMatch(new RegExp(`the nearest: ${backupId}`));
  });

  it('a failed or running backup is refused', async () => {
    Object.assign(process.env, env);
    const store = storage();
    for (const status of ['failed', 'running'] as const) {
      const id = `20200101T000000Z-manual-${status}`;
      await store.put(`vault/${id}.json`, Buffer.from(renderManifest({ id, addon: 'vault', kind: 'manual', status, startedAt: '2020-01-01T00:00:00Z' })));
      const r = restore(['vault', '--backup', id, '--auto-approve', '--allow-hazards', 'DATA_LOSS']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`backup ${id} of vault cannot be restored: it is ${status === 'failed' ? 'a failed backup' : 'still being written'}`);
    }
  });

  it('--into an add-on not applied yet says to apply first', () => {
    ws.write(config(`  later:\n    plan: postgresql-sandbox\n    host: db-3\n    port: 31003\n`));
    const r = restore(['vault', '--backup', backupId, '--into', 'later', '--auto-approve']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/add-on later on host db-3 .*: run dbform apply first/);
    ws.write(config());
  });
});
