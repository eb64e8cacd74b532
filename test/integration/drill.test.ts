import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../src/resources/backups/s3-store.js';
import { drillId, drillKey } from '../../src/drill/record.js';
import { type Fleet, dockerOn, filesUnder, fleetDown, fleetUp, hostsYaml, psqlOn, s3StorageYaml } from './fleet-harness.js';
import { Workspace, asUser } from './harness.js';

// dbform backups drill on the fleet: an add-on with daily logical backups and PITR (pgBackRest to the fleet's
// S3 endpoint over TLS); the drill restores both into scratch instances on the add-on's host, reports the row
// counts written here and a duration, records itself in the storage and leaves no scratch instance, also
// when it fails. drift reports an overdue drill only once the add-on has been drilled. A 1 GB plan: its
// max_connections (127) is above PostgreSQL's default, which a replaying copy must not trip over.

let fleet: Fleet;
const ws = new Workspace();
let env: Record<string, string>;
let backupId: string;

interface DrillJson {
  ok: boolean;
  checks: { kind: string; source: string; ok: boolean; seconds: number; tables: number; rows: number; error?: string; table_rows: { database: string; table: string; rows: number }[] }[];
  stored: { key?: string; error?: string };
}

const db1 = () => fleet.hosts.find((h) => h.name === 'db-1')!;
const onDb1 = (cmd: string) => spawnSync('nsenter', ['-t', String(db1().pid), '-m', 'sh', '-c', cmd], { encoding: 'utf8' });
const sql = (db: string, text: string) => psqlOn(db1(), 'ledger', 31001, db, text);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const drillRecords = () => filesUnder(join(fleet.s3.dataDir, fleet.s3.bucket, '.drills', 'ledger')).filter((f) => f.endsWith('._S3rver_object'));

function config(): string {
  return `version: 1
hosts:
${hostsYaml(fleet)}${s3StorageYaml(fleet.s3)}defaults:
  storage: main
addons:
  ledger:
    plan: postgresql-starter-1024
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    host: db-1
    port: 31001
    backups:
      pitr: true
`;
}

function drill(): { code: number; json: DrillJson; stderr: string } {
  const r = ws.run(['backups', 'drill', 'ledger', '--format', 'json'], env);
  return { code: r.code, json: JSON.parse(r.stdout || '{}') as DrillJson, stderr: r.stderr };
}

/** Nothing of a drill is left on the host: no scratch container, no scratch directory. */
function expectNoScratch(): void {
  expect(dockerOn(db1(), ['ps', '-a', '--format', '{{.Names}}']).split('\n')).toEqual(['dbform-ledger']);
  expect(onDb1('ls -A /var/lib/dbform').stdout.split('\n')).not.toContain('.drill');
}

const rowsOf = (check: DrillJson['checks'][number]) => Object.fromEntries(check.table_rows.filter((t) => t.database === 'ledger').map((t) => [t.table, t.rows]));

beforeAll(async () => {
  fleet = fleetUp(1);
  env = {
    S3_ACCESS_KEY_ID: fleet.s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: fleet.s3.secretAccessKey,
    NODE_NO_WARNINGS: '1',
    NODE_OPTIONS: `--import ${new URL('./fleet-dns.mjs', import.meta.url).href}`,
  };
  ws.write(config());
  const r = ws.run(['apply', '--auto-approve'], env);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const url = ws.urls('ledger', env).DATABASE_URL!;
  await asUser(url, async (c) => {
    await c.query('CREATE TABLE accounts AS SELECT g AS id, md5(g::text) AS name FROM generate_series(1, 1000) g');
    await c.query('CREATE TABLE events AS SELECT g AS id FROM generate_series(1, 250) g');
    await c.query('CREATE SCHEMA audit; CREATE TABLE audit.log AS SELECT g AS id FROM generate_series(1, 3) g');
  });
  const created = ws.run(['backups', 'create', 'ledger'], env);
  expect(created.code, created.stdout + created.stderr).toBe(0);
  backupId = /Backup (\S+) finished/.exec(created.stdout)![1]!;
  // After the logical backup: only the PITR half of a drill sees these rows.
  await asUser(url, (c) => c.query('INSERT INTO events SELECT g FROM generate_series(251, 300) g'));
  const written = Date.now();
  sql('postgres', 'SELECT pg_switch_wal()');
  for (let i = 0; i < 60; i++) {
    const list = JSON.parse(ws.run(['backups', 'list', 'ledger', '--format', 'json'], env).stdout) as { pitr: { window: { latest: string } | null } };
    if (list.pitr.window && Date.parse(list.pitr.window.latest) >= written) break;
    await sleep(2000);
  }
}, 600_000);

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('backups drill', () => {
  it('drift says nothing of drills before the add-on is drilled, and reports a last successful drill older than 7 days', async () => {
    const before = ws.run(['drift', '--format', 'text'], env);
    expect(before.stdout + before.stderr).not.toContain('restore drill');
    expect(before.code, before.stdout + before.stderr).toBe(0);
    // A successful drill of ten days ago, as a drill would have recorded it.
    process.env.S3_ACCESS_KEY_ID = fleet.s3.accessKeyId;
    process.env.S3_SECRET_ACCESS_KEY = fleet.s3.secretAccessKey;
    const store = new S3Store(
      { name: 'main', type: 's3', endpoint: `https://${fleet.s3.address}:${fleet.s3.port}`, region: 'us-east-1', bucket: fleet.s3.bucket, accessKeyIdEnv: 'S3_ACCESS_KEY_ID', secretAccessKeyEnv: 'S3_SECRET_ACCESS_KEY', caFile: fleet.s3.caFile },
      ws.config,
    );
    const old = new Date(Date.now() - 10 * 86_400_000);
    await store.put(drillKey({ addon: 'ledger', id: drillId(old), ok: true }), Buffer.from('{}\n'));
    const overdue = ws.run(['drift', '--format', 'text'], env);
    expect(overdue.stdout).toContain(`add-on ledger: the last successful restore drill (${new Date(Math.floor(old.getTime() / 1000) * 1000).toISOString()}) is older than 7 days`);
    expect(overdue.code).toBe(2);
  });

  it('restores the latest backup and PITR point into scratch instances: row counts as written, a duration, nothing left', () => {
    const t0 = Date.now();
    const { code, json, stderr } = drill();
    const wall = (Date.now() - t0) / 1000;
    expect(code, JSON.stringify(json) + stderr).toBe(0);
    const [logical, pitr] = json.checks;
    expect(logical).toMatchObject({ kind: 'logical', source: `backup ${backupId}`, ok: true, tables: 3, rows: 1253 });
    expect(rowsOf(logical!)).toEqual({ 'public.accounts': 1000, 'public.events': 250, 'audit.log': 3 });
    expect(pitr).toMatchObject({ kind: 'pitr', ok: true });
    expect(pitr!.source).toMatch(/^latest point \(WAL archived up to \S+\) from base backup \d{8}-\d{6}F$/);
    expect(rowsOf(pitr!)).toEqual({ 'public.accounts': 1000, 'public.events': 300, 'audit.log': 3 });
    for (const c of json.checks) {
      expect(c.seconds).toBeGreaterThan(0);
      expect(c.seconds).toBeLessThan(wall);
    }
    console.log(`drill: logical ${logical!.seconds.toFixed(1)} s, PITR ${pitr!.seconds.toFixed(1)} s, whole command ${wall.toFixed(1)} s`);
    expectNoScratch();
    // Recorded in the storage beside the backups.
    expect(json.stored.key).toMatch(/^\.drills\/ledger\/\d{8}T\d{6}Z-ok\.json$/);
    const stored = drillRecords().map((f) => readFileSync(f, 'utf8')).find((t) => t.includes('"checks":[{'));
    expect(JSON.parse(stored!)).toMatchObject({ addon: 'ledger', host: 'db-1', ok: true, checks: [{ kind: 'logical', rows: 1253 }, { kind: 'pitr', rows: 1303 }] });
  });

  it('never touched the add-on: its data is there, and its stanza got no timeline from the scratch copy', () => {
    expect(sql('ledger', 'SELECT count(*) FROM events')).toBe('300');
    expect(sql('postgres', 'SELECT pg_is_in_recovery()')).toBe('f');
    const history = filesUnder(join(fleet.s3.dataDir, fleet.s3.bucket, '.pgbackrest', 'ledger')).filter((f) => /\/archive\/.*\.history\./.test(f));
    expect(history).toEqual([]);
  });

  it('drift after the drill does not report its age', () => {
    const r = ws.run(['drift', '--format', 'text'], env);
    expect(r.stdout + r.stderr).not.toContain('restore drill');
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('a drill whose backup is damaged fails, says why, is recorded as failed, and leaves no scratch instance either', () => {
    const object = join(fleet.s3.dataDir, fleet.s3.bucket, 'ledger', `${backupId}.dump.age._S3rver_object`);
    const good = readFileSync(object);
    const bad = Buffer.from(good);
    bad[Math.floor(bad.length / 2)]! ^= 0x01;
    writeFileSync(object, bad);
    try {
      const { code, json } = drill();
      expect(code).toBe(1);
      expect(json.ok).toBe(false);
      expect(json.checks[0]).toMatchObject({ kind: 'logical', ok: false });
      expect(json.checks[0]!.error).toMatch(/damaged|pg_restore failed/);
      expect(json.checks[1]).toMatchObject({ kind: 'pitr', ok: true });
      expect(json.stored.key).toMatch(/-failed\.json$/);
      expectNoScratch();
    } finally {
      writeFileSync(object, good);
    }
    // The last successful drill is still recent: drift has nothing to say about drills.
    expect(ws.run(['drift', '--format', 'text'], env).stdout).not.toContain('restore drill');
  });

  it('two drills of one add-on do not run at once', async () => {
    // Another drill holds the add-on's drill lock on the host, until its stdin is closed.
    const holder: ChildProcess = spawn('nsenter', ['-t', String(db1().pid), '-m', 'sh', '-c',
      'd=/run/lock; [ -d "$d" ] || d=/tmp; exec flock -o "$d/dbform-drill-ledger.lock" sh -c "echo held; cat >/dev/null"'], { stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      await new Promise((resolve) => holder.stdout!.once('data', resolve));
      const r = ws.run(['backups', 'drill', 'ledger'], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('a drill of ledger is already running on host db-1');
      expectNoScratch();
    } finally {
      holder.stdin!.end();
    }
  });

  it('plan is empty at the end', () => {
    const r = ws.run(['plan', '--detailed-exitcode'], env);
    expect(r.stdout).toContain('No changes.');
    expect(r.code).toBe(0);
  });
});
