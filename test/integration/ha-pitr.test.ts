import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, dockerOn, fleetDown, fleetUp, hostsYaml, psqlOn, s3StorageYaml } from './fleet-harness.js';
import { Workspace, expectEmptyPlan } from './harness.js';
import { connectAny, parseMultiHostUrl } from './ha-writer.js';

// Point-in-time recovery of a highly available business add-on on the real fleet (members on db-1 and db-2,
// etcd on db-3, the fleet's S3 endpoint): pgBackRest's settings on both members, one stanza, WAL archived by
// whichever member is the primary (also after a switchover, on the new timeline), the first full base backup
// on the primary, the weekly one on the replica; then `restore --to` a time, in place, with the replica streaming again afterwards.
// One cluster for the whole file (the tests run in order and build on each other).

let fleet: Fleet;
const ws = new Workspace();
let env: Record<string, string>;
const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;
const PG_PORT = 31002;
const API = 'https://127.0.0.1:31003';

/** A single-instance add-on on db-3, made from the cluster's point in time by restore --into. */
const REPORTS = `  reports:
    plan: postgresql-starter-256
    encryptionAtRest: false
    host: db-3
    port: 31011
    backups:
      pitr: false # its own stanza is the single instance's (pitr.test.ts); here only what --into makes of the cluster's
`;

function config(extra = ''): string {
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
${extra}`;
}

/** Patroni's view of the cluster from a member's API: name -> "role state lag" ({} when it does not answer). */
function cluster(from: string): Record<string, string> {
  const r = spawnSync('docker', ['-H', host(from).dockerHost, 'exec', 'dbform-orders', 'curl', '-sf', '-m', '2', '--cacert', '/var/lib/dbform/tls/root.crt', `${API}/cluster`], { encoding: 'utf8' });
  if (r.status !== 0) return {};
  const members = (JSON.parse(r.stdout) as { members: Array<{ name: string; role: string; state: string; lag?: number }> }).members;
  return Object.fromEntries(members.map((m) => [m.name, `${m.role} ${m.state} ${m.lag ?? '-'}`]));
}

const primary = (): string | undefined => Object.entries({ ...cluster('db-1'), ...cluster('db-2') }).find(([, v]) => v.startsWith('leader '))?.[0];
const replicaOf = (p: string) => (p === 'db-1' ? 'db-2' : 'db-1');
/** Patroni 3.0 says "running" of a replica that streams; later versions "streaming". */
const inSync = (name: string) => /^sync_standby (streaming|running) 0$/.test(cluster(replicaOf(name))[name] ?? '');

async function until(what: string, ok: () => boolean, ms = 90_000): Promise<number> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return Date.now() - t0;
}

const sql = (name: string, text: string, db = 'orders') => psqlOn(host(name), 'orders', PG_PORT, db, text);

/** Switches a WAL segment on the primary and waits until pg_stat_archiver there has archived it. */
async function archiveNow(on: string): Promise<string> {
  const segment = sql(on, 'SELECT pg_walfile_name(pg_switch_wal())', 'postgres');
  await until(`${segment} archived on ${on}`, () => sql(on, 'SELECT coalesce(last_archived_wal, \'\') FROM pg_stat_archiver', 'postgres') >= segment);
  return segment;
}

/** pgBackRest's view of the stanza, read from a member's container. */
type StanzaInfo = { status: { code: number }; backup: Array<{ type: string; error: boolean; label: string }> };
function stanzaInfo(on: string): StanzaInfo {
  const out = dockerOn(host(on), ['exec', '-u', 'postgres', 'dbform-orders', 'pgbackrest', '--stanza=orders', '--output=json', 'info']);
  return (JSON.parse(out) as StanzaInfo[])[0]!;
}

interface Listed { pitr: { window: { earliest: string; latest: string } | null; base_backups: unknown[]; archiver: { failed_count: number; last_archived_at: string | null } | null } | null }

function listed(): Listed {
  const r = ws.run(['backups', 'list', 'orders', '--format', 'json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Listed;
}

async function write(rows: string[]): Promise<void> {
  const { client } = await connectAny(parseMultiHostUrl(ws.urls('orders', env).DATABASE_URL!));
  await client.query('CREATE TABLE IF NOT EXISTS ledger (v text, at timestamptz DEFAULT now())');
  for (const v of rows) await client.query('INSERT INTO ledger (v) VALUES ($1)', [v]);
  await client.end();
}

async function read(): Promise<string[]> {
  const { client } = await connectAny(parseMultiHostUrl(ws.urls('orders', env).DATABASE_URL!));
  const r = await client.query<{ v: string }>('SELECT v FROM ledger ORDER BY v');
  await client.end();
  return r.rows.map((x) => x.v);
}

beforeAll(() => {
  fleet = fleetUp(3);
  env = { S3_ACCESS_KEY_ID: fleet.s3.accessKeyId, S3_SECRET_ACCESS_KEY: fleet.s3.secretAccessKey, NODE_NO_WARNINGS: '1' };
  ws.write(config());
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

let target = '';
/** The archiver's failures on db-1 once apply is done: archive-push fails for the segments closed before the
 *  stanza exists (bootstrap, the replica's clone); none may follow. */
let failedAfterApply = '';

describe('PITR of a highly available add-on: archiving', () => {
  it('apply installs pgBackRest on both members, makes the stanza and a first full base backup; plan is then empty', async () => {
    const plan = ws.run(['plan', '--detailed-exitcode'], env);
    expect(plan.code, plan.stderr).toBe(2);
    for (const h of ['db-1', 'db-2']) {
      expect(plan.stdout).toContain(`addon.orders.pitr.${h}`);
      expect(plan.stdout).toContain(`addon.orders.pitr_base.${h}`);
    }
    expect(plan.stdout + plan.stderr).not.toContain('PITR to a local directory storage');
    const started = Date.now();
    const r = ws.run(['apply', '--auto-approve'], env);
    expect(r.code, r.stdout.slice(-3000) + r.stderr).toBe(0);
    console.log(`first apply of a cluster with PITR: ${Date.now() - started} ms`);
    expect(r.stdout).toContain('addon.orders.pitr_base.db-1: done');
    expect(r.stdout).toContain('addon.orders.pitr_base.db-2: done');
    await until('the replica to stream', () => inSync('db-2'));
    expectEmptyPlan(ws, env);
    for (const h of ['db-1', 'db-2']) {
      expect(sql(h, "SELECT current_setting('archive_mode') || ' ' || current_setting('archive_command')", 'postgres')).toBe('on pgbackrest --stanza=orders archive-push %p');
      const cron = spawnSync('nsenter', ['-t', String(host(h).pid), '-m', 'cat', '/etc/cron.d/dbform-pitr-orders'], { encoding: 'utf8' });
      expect(cron.stdout, h).toContain('docker exec -u postgres dbform-orders sh /etc/pgbackrest/full-backup.sh >/dev/null');
    }
    failedAfterApply = sql('db-1', 'SELECT failed_count FROM pg_stat_archiver', 'postgres');
    console.log(`archive-push failures before the stanza existed: ${failedAfterApply}`);
    const info = stanzaInfo('db-2'); // the replica reads the same repository
    expect(info.status.code).toBe(0);
    expect(info.backup.filter((b) => b.type === 'full' && !b.error)).toHaveLength(1);
    const list = listed();
    expect(list.pitr?.base_backups).toHaveLength(1);
    expect(list.pitr?.window).not.toBeNull();
  });

  it('only the primary archives; rows committed are archived', async () => {
    await write(['a1', 'a2', 'a3']);
    await until('the replica to replay', () => inSync('db-2'));
    target = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 1500));
    await write(['b1', 'b2']);
    const segment = await archiveNow('db-1');
    expect(segment.startsWith('00000001')).toBe(true);
    expect(sql('db-1', 'SELECT failed_count FROM pg_stat_archiver', 'postgres')).toBe(failedAfterApply);
    // archive_mode=on: a replica archives nothing.
    expect(sql('db-2', "SELECT archived_count || ' ' || failed_count FROM pg_stat_archiver", 'postgres')).toBe('0 0');
  });

  it('after a switchover the new primary archives on its new timeline; the weekly full base backup runs on the replica', async () => {
    dockerOn(host('db-1'), ['exec', 'dbform-orders', 'patronictl', '-c', '/var/lib/dbform/patroni.yml', 'switchover', '--leader', 'db-1', '--candidate', 'db-2', '--force']);
    await until('db-2 to lead and db-1 to be in sync', () => primary() === 'db-2' && inSync('db-1'));
    await write(['c1']);
    const segment = await archiveNow('db-2');
    expect(segment.startsWith('00000002'), segment).toBe(true);
    expect(sql('db-2', 'SELECT failed_count FROM pg_stat_archiver', 'postgres')).toBe('0');
    // The weekly full base backup's command as the cron file runs it, on both members: the primary (db-2) leaves it
    // to the healthy replica, which copies its own files and has the primary's pgBackRest TLS server start and stop
    // the backup (the member certificates of the fleet CA on both ends).
    const cron = (h: string) => spawnSync('nsenter', ['-t', String(host(h).pid), '-m', 'sh', '-c', 'grep -o "docker exec [^>]*full-backup.sh" /etc/cron.d/dbform-pitr-orders | head -1'], { encoding: 'utf8' }).stdout.trim();
    for (const h of ['db-2', 'db-1']) {
      const t0 = Date.now();
      const r = spawnSync('nsenter', ['-t', String(host(h).pid), '-m', '-n', 'sh', '-c', cron(h)], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      console.log(`weekly full base backup (cron command) on ${h}: ${Date.now() - t0} ms`);
      expect(stanzaInfo('db-1').backup.filter((b) => b.type === 'full' && !b.error), h).toHaveLength(h === 'db-2' ? 1 : 2);
    }
    const newest = stanzaInfo('db-1').backup.at(-1)!;
    const manifest = dockerOn(host('db-1'), ['exec', '-u', 'postgres', 'dbform-orders', 'pgbackrest', '--stanza=orders', 'repo-get', `backup/orders/${newest.label}/backup.manifest`]);
    expect(manifest).toMatch(/^option-backup-standby=true$/m);
    // backups list reads the window's end from the member that archived last: the new primary.
    const list = listed();
    expect(list.pitr?.base_backups).toHaveLength(2);
    expect(list.pitr?.archiver?.failed_count).toBe(0);
    expect(list.pitr!.window!.latest >= list.pitr!.archiver!.last_archived_at!).toBe(true);
    // drift reads the cluster's PITR on its members: archiving works, full base backups are there.
    const drift = ws.run(['drift', '--format', 'text'], env);
    expect(drift.stdout + drift.stderr).not.toMatch(/WAL archiving fails|no full base backup|cannot be read/);
    expect(drift.stdout).toContain('No drift');
    expectEmptyPlan(ws, env);
  });
});

describe('PITR of a highly available add-on: restore in place', () => {
  it('restore --to a time: rows before it are back, later ones gone; the replica streams again; writes work; plan is empty', async () => {
    const refused = ws.run(['restore', 'orders', '--to', target], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Refused: DATA_LOSS');
    expect(refused.stdout).toContain('(the data directory of its member on db-1 is kept beside it; db-2 clones it again)');
    expect(await read()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'c1']); // nothing changed
    const started = Date.now();
    const r = ws.run(['restore', 'orders', '--to', target, '--allow-hazards', 'DATA_LOSS'], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    console.log(`restore --to of a cluster, in place: ${Date.now() - started} ms (restore itself ${/Restored orders in ([\d.]+) s/.exec(r.stdout)?.[1]} s)`);
    expect(r.stdout).toMatch(/Its previous data directory is kept as \/var\/lib\/dbform\/orders\/pgdata\.before-restore-\d{8}T\d{6}/);
    expect(await read()).toEqual(['a1', 'a2', 'a3']);
    expect(primary()).toBe('db-1');
    await until('db-2 to be the synchronous replica again', () => inSync('db-2'));
    await write(['d1']);
    expect(await read()).toEqual(['a1', 'a2', 'a3', 'd1']);
    await until('the replica to have the new row', () => sql('db-2', "SELECT count(*) FROM ledger WHERE v = 'd1'") === '1');
    // The restored primary archives on a timeline of its own (after 1 and the switchover's 2).
    const segment = await archiveNow('db-1');
    expect(parseInt(segment.slice(0, 8), 16), segment).toBeGreaterThan(2);
    expect(sql('db-1', 'SELECT failed_count FROM pg_stat_archiver', 'postgres')).toBe('0');
    // A full base backup of the restored cluster (its timeline), after the first and the weekly one.
    expect(listed().pitr?.base_backups).toHaveLength(3);
    expectEmptyPlan(ws, env);
  });
});

describe('PITR of a highly available add-on: restore into a new single instance', () => {
  it('restore --to latest --into NEW on another host: the cluster\'s rows, NEW\'s names; the cluster is only read; plan is empty', async () => {
    ws.write(config(REPORTS));
    const started = Date.now();
    const r = ws.run(['restore', 'orders', '--to', 'latest', '--into', 'reports'], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    console.log(`restore --to latest --into a single instance from a cluster: ${Date.now() - started} ms`);
    expect(psqlOn(host('db-3'), 'reports', 31011, 'reports', 'SELECT string_agg(v, \',\' ORDER BY v) FROM ledger')).toBe('a1,a2,a3,d1');
    expect(await read()).toEqual(['a1', 'a2', 'a3', 'd1']);
    expectEmptyPlan(ws, env);
  });
});
