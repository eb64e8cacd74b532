import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, dockerOn, fleetDown, fleetUp, hostsYaml, psqlOn, s3StorageYaml } from './fleet-harness.js';
import { Workspace, expectEmptyPlan } from './harness.js';
import { connectAny, parseMultiHostUrl } from './ha-writer.js';

// Daily backups of a highly available business add-on on the real fleet (members on db-1 and db-2, etcd on
// db-3, the fleet's S3 endpoint): the schedule is on both member hosts, and when both run it at the same
// minute (as cron does) the replica takes the backup and the primary declines; with the replica stopped, the
// primary takes it. The dump restores with its rows.

let fleet: Fleet;
const ws = new Workspace();
let env: Record<string, string>;
const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;
const PROGRAM = '/var/lib/dbform/.bin/dbform-backup /var/lib/dbform/.backup/orders/backup.env daily';
const MARKER = 'ha-backup-marker-41c7';
let replicaDaily = '';

interface Listed { id: string; kind: string; status: string; started_at: string; ended_at?: string; size?: number; verified: boolean; host?: string; role?: string }

function config(pitr = false): string {
  return `version: 1
hosts:
${hostsYaml(fleet)}${s3StorageYaml(fleet.s3)}defaults:
  storage: main
consensus:
  hosts: [db-3]
addons:
  orders:
    plan: postgresql-business-512
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    hosts: [db-1, db-2]
    port: 31001
${pitr ? '' : `    backups:
      pitr: false # PITR of a cluster is ha-pitr.test.ts's (made with it); here the daily backups, then PITR turned on
`}`;
}

/** Runs the installed backup program on a member host the way its cron entry does, without waiting. */
function runProgram(name: string): Promise<{ host: string; code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('nsenter', ['-t', String(host(name).pid), '-m', '-n', 'sh', '-c', PROGRAM]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ host: name, code: code ?? 1, stdout, stderr, ms: Date.now() - started }));
  });
}

/** Both members at the same minute, as their cron entries fire. */
async function runOnBothMembers() {
  const [db1, db2] = await Promise.all([runProgram('db-1'), runProgram('db-2')]);
  return { db1: db1!, db2: db2! };
}

function listed(): Listed[] {
  const r = ws.run(['backups', 'list', 'orders', '--format', 'json'], env);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { backups: Listed[] }).backups;
}

/** Patroni's view of the cluster from a member's API: name -> "role state lag". */
function cluster(from: string): Record<string, string> {
  const r = spawnSync('docker', ['-H', host(from).dockerHost, 'exec', 'dbform-orders', 'curl', '-sf', '-m', '2', '--cacert', '/var/lib/dbform/tls/root.crt', 'https://127.0.0.1:31003/cluster'], { encoding: 'utf8' });
  if (r.status !== 0) return {};
  const members = (JSON.parse(r.stdout) as { members: Array<{ name: string; role: string; state: string; lag?: number }> }).members;
  return Object.fromEntries(members.map((m) => [m.name, `${m.role} ${m.state} ${m.lag ?? '-'}`]));
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<number> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return Date.now() - t0;
}

/** Patroni calls the synchronous replica sync_standby. */
const replicaStreaming = () => /^(sync_standby|replica) (streaming|running) /.test(cluster('db-1')['db-2'] ?? '');
const replicaCaughtUp = () => /^(sync_standby|replica) (streaming|running) 0$/.test(cluster('db-1')['db-2'] ?? '');

beforeAll(() => {
  fleet = fleetUp(3);
  env = { S3_ACCESS_KEY_ID: fleet.s3.accessKeyId, S3_SECRET_ACCESS_KEY: fleet.s3.secretAccessKey, NODE_NO_WARNINGS: '1' };
  ws.write(config());
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('daily backups of a highly available add-on', () => {
  it('are scheduled on both member hosts by apply; the plan then is empty and no longer says none is taken', async () => {
    const started = Date.now();
    const r = ws.run(['apply', '--auto-approve'], env);
    expect(r.code, r.stdout.slice(-2500) + r.stderr).toBe(0);
    console.log(`apply: ${Date.now() - started} ms`);
    expect(r.stdout).toContain('addon.orders.backups.db-1: done');
    expect(r.stdout).toContain('addon.orders.backups.db-2: done');
    for (const h of ['db-1', 'db-2']) {
      const cron = spawnSync('nsenter', ['-t', String(host(h).pid), '-m', 'cat', '/etc/cron.d/dbform-orders'], { encoding: 'utf8' });
      expect(cron.stdout, h).toContain(PROGRAM);
    }
    expect(spawnSync('nsenter', ['-t', String(host('db-3').pid), '-m', 'test', '-e', '/etc/cron.d/dbform-orders']).status).not.toBe(0);
    await until('the replica to stream', replicaStreaming);
    expectEmptyPlan(ws, env);
    const plan = ws.run(['plan'], env);
    expect(plan.stdout + plan.stderr).not.toContain('none is taken');
    // Nothing of a cluster is missing any more for this one (read replicas came last): no "not yet" line.
    expect(plan.stdout + plan.stderr).not.toMatch(/add-on orders: highly available on db-1 and db-2; not yet in this version/);
  });

  it('is taken on the replica when both members run it at once; the primary declines; the record names the replica', async () => {
    const { client } = await connectAny(parseMultiHostUrl(ws.urls('orders', env).DATABASE_URL!));
    await client.query('CREATE TABLE marker (v text)');
    await client.query('INSERT INTO marker SELECT $1 || g FROM generate_series(1, 1000) g', [MARKER]);
    await client.end();
    // Some volume, for a backup duration worth reporting: 200,000 rows of 200 bytes (about 50 MB in the table),
    // on the primary (db-1) without the writer's 2 s query timeout.
    psqlOn(host('db-1'), 'orders', 31002, 'orders', "SET ROLE orders; CREATE TABLE bulk AS SELECT g AS id, repeat(md5(g::text), 6) || g AS pad FROM generate_series(1, 200000) g");
    await until('the replica to replay the rows', replicaCaughtUp);
    const { db1, db2 } = await runOnBothMembers();
    console.log(`replica's backup: ${db2.ms} ms; primary declined in ${db1.ms} ms`);
    const size = listed()[0]?.size;
    console.log(`stored size: ${size} bytes`);
    expect(db1.code, db1.stderr).toBe(3);
    expect(db1.stderr).toContain('backup of orders not taken on db-1 (the primary): the replica at 10.77.0.12:31003 takes it');
    expect(db2.code, db2.stderr).toBe(0);
    const id = db2.stdout.trim().split('\n').pop()!;
    replicaDaily = id;
    const backups = listed();
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatchObject({ id, kind: 'daily', status: 'ok', verified: true, host: 'db-2', role: 'replica' });
    const text = ws.run(['backups', 'list', 'orders'], env).stdout;
    expect(text).toMatch(new RegExp(`^${id}\\s.*\\sdaily\\s+ok\\s+db-2 \\(replica\\)$`, 'm'));
  });

  it('restores: the dump taken on the replica has the rows', () => {
    const id = listed()[0]!.id;
    const file = join(ws.dir, 'orders.dump');
    const dl = ws.run(['backups', 'download', 'orders', '--backup', id, '--out', file], env);
    expect(dl.code, dl.stderr).toBe(0);
    expect(dl.stdout).toContain('checksum verified');
    // The primary is db-1 (the preferred host); its PostgreSQL listens on port + 1.
    psqlOn(host('db-1'), 'orders', 31002, 'postgres', 'CREATE DATABASE scratch OWNER orders');
    const url = ws.urls('orders', env).DATABASE_URL!.replace(/\/orders$/, '/scratch');
    const restore = spawnSync('pg_restore', ['--no-owner', '--no-privileges', '-d', url, file], { encoding: 'utf8' });
    expect(restore.status, restore.stderr).toBe(0);
    expect(psqlOn(host('db-1'), 'orders', 31002, 'scratch', `SELECT count(*) FROM marker WHERE v LIKE '${MARKER}%'`)).toBe('1000');
    expect(psqlOn(host('db-1'), 'orders', 31002, 'scratch', 'SELECT count(*) FROM bulk')).toBe('200000');
  });

  it('`dbform backups create` takes it on the replica too', () => {
    const r = ws.run(['backups', 'create', 'orders'], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Backing up orders on its replica');
    expect(r.stdout).toMatch(/Backup \S+-manual-\S+ finished on db-2 \(the replica\) in /);
    expect(listed().find((b) => b.kind === 'manual')).toMatchObject({ status: 'ok', host: 'db-2', role: 'replica' });
  });

  it('with the replica stopped, the primary takes it (and the stopped member declines)', async () => {
    dockerOn(host('db-2'), ['stop', 'dbform-orders']);
    const { db1, db2 } = await runOnBothMembers();
    console.log(`primary's backup with the replica down: ${db1.ms} ms`);
    expect(db2.code, db2.stderr).toBe(3);
    expect(db2.stderr).toContain('backup of orders not taken on db-2: this member is neither a healthy replica nor the primary');
    expect(db1.code, db1.stderr).toBe(0);
    const id = db1.stdout.trim().split('\n').pop()!;
    expect(listed().find((b) => b.id === id)).toMatchObject({ kind: 'daily', status: 'ok', verified: true, host: 'db-1', role: 'primary' });
    // Retention ran once, on the member that took the backup: the newest daily of the day supersedes the
    // replica's earlier one; the member that declined pruned nothing.
    expect(db1.stdout).toContain(`pruned ${replicaDaily}`);
    expect(db2.stdout).toBe('');
    expect(listed().filter((b) => b.kind === 'daily').map((b) => b.id)).toEqual([id]);
  });

  it('apply starts the stopped member again; the replica then takes the backups again; plan empty', async () => {
    const plan = ws.run(['plan'], env);
    expect(plan.stdout).toContain('~ addon.orders.patroni.db-2');
    const r = ws.run(['apply', '--auto-approve'], env);
    expect(r.code, r.stdout.slice(-2500) + r.stderr).toBe(0);
    await until('the replica to stream again', replicaStreaming);
    const { db1, db2 } = await runOnBothMembers();
    expect([db1.code, db2.code]).toEqual([3, 0]);
    expectEmptyPlan(ws, env);
  });

  it('`dbform restore --backup` puts a daily backup back in place through the gateway (pg_restore on the primary); plan empty', () => {
    const id = listed().filter((b) => b.kind === 'daily' && b.status === 'ok')[0]!.id;
    psqlOn(host('db-1'), 'orders', 31002, 'orders', `SET ROLE orders; DROP TABLE bulk; DELETE FROM marker`);
    const r = ws.run(['restore', 'orders', '--backup', id, '--auto-approve', '--allow-hazards', 'DATA_LOSS'], env);
    expect(r.code, r.stdout.slice(-2500) + r.stderr).toBe(0);
    for (const member of ['db-1', 'db-2']) {
      expect(psqlOn(host(member), 'orders', 31002, 'orders', `SELECT count(*) FROM marker WHERE v LIKE '${MARKER}%'`), member).toBe('1000');
    }
    expect(psqlOn(host('db-1'), 'orders', 31002, 'orders', 'SELECT count(*) FROM bulk')).toBe('200000');
    expectEmptyPlan(ws, env);
  });

  it('`dbform restore --to` of a cluster without PITR says so, and changes nothing', () => {
    const r = ws.run(['restore', 'orders', '--to', 'latest', '--auto-approve', '--allow-hazards', 'DATA_LOSS'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('add-on orders has no point-in-time recovery (backups.pitr is off)');
    expectEmptyPlan(ws, env);
  });

  it('turning PITR on for the running cluster: members restarted with a switchover (FAILOVER, no RESTART), the stanza and a first full base backup; the primary archives; plan empty', async () => {
    ws.write(config(true));
    const planned = ws.run(['plan'], env);
    expect(planned.stdout).toMatch(/addon\.orders\.pitr\.db-1/);
    expect(planned.stdout).toMatch(/addon\.orders\.pitr_base\.db-2/);
    expect(planned.stdout).toContain('! FAILOVER');
    expect(planned.stdout).not.toContain('! RESTART');
    const t0 = Date.now();
    const r = ws.run(['apply', '--auto-approve', '--allow-hazards', 'FAILOVER'], env);
    expect(r.code, r.stdout.slice(-2500) + r.stderr).toBe(0);
    console.log(`PITR turned on for a running cluster: apply ${Date.now() - t0} ms`);
    const primary = ['db-1', 'db-2'].find((m) => psqlOn(host(m), 'orders', 31002, 'postgres', 'SELECT pg_is_in_recovery()') === 'f')!;
    const segment = psqlOn(host(primary), 'orders', 31002, 'postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
    await until(`${segment} archived on ${primary}`, () => psqlOn(host(primary), 'orders', 31002, 'postgres', "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") >= segment, 30_000);
    const info = JSON.parse(dockerOn(host(primary), ['exec', '-u', 'postgres', 'dbform-orders', 'pgbackrest', '--stanza=orders', '--output=json', 'info'])) as Array<{ backup: Array<{ type: string; error: boolean }> }>;
    expect(info[0]!.backup.filter((b) => b.type === 'full' && !b.error)).toHaveLength(1);
    expectEmptyPlan(ws, env);
  });
});
