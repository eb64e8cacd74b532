import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, dockerOn, fleetDown, fleetUp, hostsYaml, psqlOn } from './fleet-harness.js';
import { Workspace, asUser, expectEmptyPlan } from './harness.js';

// Read replicas on the real fleet: a starter add-on on db-1 with an asynchronous streaming replica on db-2,
// made with pg_basebackup over TLS. Read your writes on the replica, writes refused there; a replica whose
// replay is paused is behind, and its promotion is refused until it catches up; promoted, it is an add-on
// of its own with the rows; a replica on db-3 is created, then deleted with its slot. Every scenario ends
// with an empty plan.

const CLI = fileURLToPath(new URL('../../bin/dbform.js', import.meta.url));
let fleet: Fleet;
const ws = new Workspace();
const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;

const PORT = 31001;

/** What these tests read of `status --format json`. */
interface StatusMember {
  name: string;
  host: string;
  role: string;
  readReplica: boolean;
  state: string;
  cpuPercent: number | null;
  memory: { current: number | null; limit: number | null };
  connections: { max: number | null };
  diskSize: number | null;
  replicationLagSeconds: number | null;
  replicationLagBytes: number | null;
}
interface StatusAddon {
  errors: string[];
  members: StatusMember[];
}

/** orders on db-1 with `replicas`, and `extra` add-ons' YAML after it. encryptionAtRest: false: the test
 *  fleet (network namespaces) has no device-mapper for LUKS. PITR on (the starter's default): the primary
 *  archives WAL, its replicas do not, and the promoted add-on gets an archive of its own. */
function config(replicas: string[], extra = ''): string {
  return `version: 1
hosts:
${hostsYaml(fleet)}addons:
  orders:
    plan: postgresql-starter-512
    host: db-1
    port: ${PORT}
    encryptionAtRest: false
    readReplicas: [${replicas.join(', ')}]
    users:
      reader:
        access: read-only
${extra}`;
}

const PROMOTED = `  reports:
    plan: postgresql-starter-512
    host: db-2
    port: 31002
    encryptionAtRest: false
    promotedFrom: orders
    users:
      reader:
        access: read-only
`;

/** `dbform output ADDON --read-replica HOST`: the replica's URL, by variable name. */
function replicaUrl(addon: string, on: string): string {
  const r = spawnSync(process.execPath, [CLI, 'output', addon, '--read-replica', on, '-f', ws.config], { env: { ...process.env, ...ws.env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dbform output --read-replica failed: ${r.stderr}`);
  const line = r.stdout.trim();
  expect(line.slice(0, line.indexOf('='))).toBe(`DATABASE_URL_READ_REPLICA_${on.toUpperCase().replace('-', '_')}`);
  return line.slice(line.indexOf('=') + 1);
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const rowsOf = (url: string) => asUser(url, async (c) => (await c.query<{ n: number }>('SELECT n FROM items ORDER BY n')).rows.map((r) => r.n));
const slotsOnPrimary = () => psqlOn(host('db-1'), 'orders', PORT, 'postgres', 'SELECT slot_name FROM pg_replication_slots ORDER BY 1');
const onReplica = (on: string, sql: string) => psqlOn(host(on), 'orders-replica', PORT, 'postgres', sql);

beforeAll(() => {
  fleet = fleetUp(3);
  ws.write(config(['db-2']));
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('read replicas of a starter add-on', () => {
  let primaryUrl = '';
  let replica = '';

  it('creates a streaming replica on db-2 with its slot, and the next plan is empty with its lag in a note', async () => {
    const r = ws.run(['apply', '--auto-approve']);
    expect(r.stdout + r.stderr).toMatch(/addon\.orders\.read-replica\.db-2/);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(dockerOn(host('db-2'), ['ps', '--format', '{{.Names}}'])).toBe('dbform-orders-replica');
    expect(slotsOnPrimary()).toBe('dbform_replica_db_2');
    expect(onReplica('db-2', 'SELECT pg_is_in_recovery()')).toBe('t');
    // The primary's settings, as a hot standby, without its WAL archiving (the primary's own).
    const cmd = dockerOn(host('db-2'), ['inspect', '-f', '{{json .Config.Cmd}}', 'dbform-orders-replica']);
    expect(cmd).toContain('hot_standby=on');
    expect(cmd).toContain('max_connections=');
    expect(cmd).not.toContain('archive_');
    primaryUrl = ws.urls('orders').DATABASE_URL!;
    replica = replicaUrl('orders', 'db-2');
    // The replica's URL names db-2, with the owner's credentials (the same as on the primary: a copy).
    expect(new URL(replica).hostname).toBe(host('db-2').address);
    expect(new URL(replica).username).toBe('orders');
    const status = await waitFor('the replica to stream', async () => (onReplica('db-2', 'SELECT status FROM pg_stat_wal_receiver') === 'streaming' ? true : undefined));
    expect(status).toBe(true);
    const plan = ws.run(['plan']);
    expect(plan.stdout).toMatch(/Note: add-on orders: read replica on db-2 \(streaming, lag 0 MB\)/);
    expectEmptyPlan(ws);
  });

  it('serves the rows written on the primary once its lag is 0, and refuses writes', async () => {
    await asUser(primaryUrl, async (c) => {
      await c.query('CREATE TABLE items (n int PRIMARY KEY)');
      await c.query('INSERT INTO items VALUES (1)');
    });
    expect(await waitFor('row 1 on the replica', async () => ((await rowsOf(replica)).length === 1 ? rowsOf(replica) : undefined))).toEqual([1]);
    const write = await asUser(replica, (c) => c.query('INSERT INTO items VALUES (99)').then(() => 'written', (e: { code?: string }) => e.code));
    expect(write).toBe('25006'); // read_only_sql_transaction
    // TLS on the replica, with its own certificate: the fleet CA's, naming db-2's address (verified here).
    const ca = spawnSync(process.execPath, [CLI, 'output', 'orders', '--ca', '-f', ws.config], { env: { ...process.env, ...ws.env }, encoding: 'utf8' }).stdout;
    const client = new pg.Client({ connectionString: replica, ssl: { ca } });
    await client.connect();
    try {
      expect((await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]!.ssl).toBe(true);
    } finally {
      await client.end();
    }
    expectEmptyPlan(ws);
  });

  it('status, metrics, queries --host and logs --host read the replica on its own host', async () => {
    const r = ws.run(['status', 'orders', '--format', 'json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const a = (JSON.parse(r.stdout) as { addons: StatusAddon[] }).addons[0]!;
    expect(a.errors).toEqual([]);
    expect(a.members.map((m) => [m.name, m.host, m.role, m.readReplica, m.state])).toEqual([
      ['dbform-orders', 'db-1', 'primary', false, 'running'],
      ['dbform-orders-replica', 'db-2', 'replica', true, 'running'],
    ]);
    const [primary, copy] = a.members as [StatusMember, StatusMember];
    expect(copy.memory.limit).toBe(512 * 1024 * 1024); // the add-on's plan
    expect(copy.memory.current).toBeGreaterThan(0);
    expect(copy.cpuPercent).not.toBeNull();
    expect(copy.connections.max).toBe(primary.connections.max);
    expect(copy.diskSize).toBeGreaterThan(10 * 1024 * 1024);
    expect(copy.replicationLagSeconds).toBeGreaterThanOrEqual(0);
    expect(copy.replicationLagSeconds).toBeLessThan(60);
    expect(copy.replicationLagBytes).toBeGreaterThanOrEqual(0);
    expect(copy.replicationLagBytes).toBeLessThan(16 * 1024 * 1024);
    expect(primary.replicationLagBytes).toBeNull();
    const text = ws.run(['status', 'orders']).stdout;
    expect(text).toContain('dbform-orders-replica (read replica) on db-2: running');

    const metrics = ws.run(['metrics']);
    expect(metrics.code, metrics.stderr).toBe(0);
    expect(metrics.stdout).toMatch(/^dbform_addon_replication_lag_bytes\{addon="orders",host="db-2",member="dbform-orders-replica"\} \d+$/m);
    expect(metrics.stdout).toMatch(/^dbform_addon_memory_limit_bytes\{addon="orders",host="db-2",member="dbform-orders-replica"\} 536870912$/m);

    // A pg_sleep on the replica shows with --host db-2, and not among the primary's sessions.
    const sleeper = new pg.Client({ connectionString: replica });
    await sleeper.connect();
    try {
      const sleeping = sleeper.query('SELECT pg_sleep(30)').catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const onCopy = ws.run(['queries', 'orders', '--host', 'db-2', '--format', 'json']);
      expect(onCopy.code, onCopy.stderr).toBe(0);
      const listed = JSON.parse(onCopy.stdout) as { host: string; instance: string; sessions: Array<{ user: string; state: string; durationSeconds: number; query: string }> };
      expect(listed).toMatchObject({ host: 'db-2', instance: 'read-replica' });
      const sleep = listed.sessions.find((q) => q.query.includes('pg_sleep(30)'))!;
      expect(sleep).toMatchObject({ user: 'orders', state: 'active' });
      expect(sleep.durationSeconds).toBeGreaterThanOrEqual(1.5);
      const onPrimary = JSON.parse(ws.run(['queries', 'orders', '--format', 'json']).stdout) as { sessions: Array<{ query: string }> };
      expect(onPrimary.sessions.some((q) => q.query.includes('pg_sleep(30)'))).toBe(false);
      onReplica('db-2', "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'");
      await sleeping;
    } finally {
      await sleeper.end();
    }
    const elsewhere = ws.run(['queries', 'orders', '--host', 'db-3']);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain('add-on orders runs on db-1 and has read replicas on db-2: --host db-3 is none of them');

    // Its own log: only a standby says it accepts read-only connections.
    const log = ws.run(['logs', 'orders', '--host', 'db-2', '--since', '1h']);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/ready to accept read-only connections/);
    expect(ws.run(['logs', 'orders', '--since', '1h']).stdout).not.toMatch(/ready to accept read-only connections/);
  });

  it('refuses to promote a replica that is behind unless DATA_LOSS is allowed; caught up, promotes it to an add-on of its own', async () => {
    onReplica('db-2', 'SELECT pg_wal_replay_pause()');
    await asUser(primaryUrl, (c) => c.query('INSERT INTO items SELECT generate_series(2, 20000)'));
    // status and metrics see the replica behind, in bytes of WAL it received but did not replay.
    const behind = await waitFor('status to see the replica behind', async () => {
      const st = JSON.parse(ws.run(['status', 'orders', '--format', 'json']).stdout) as { addons: StatusAddon[] };
      const m = st.addons[0]!.members.find((x) => x.readReplica)!;
      return (m.replicationLagBytes ?? 0) > 0 ? m : undefined;
    });
    expect(behind.replicationLagSeconds).toBeGreaterThanOrEqual(0);
    const lagSample = /^dbform_addon_replication_lag_bytes\{addon="orders",host="db-2",member="dbform-orders-replica"\} (\d+)$/m.exec(ws.run(['metrics']).stdout);
    expect(Number(lagSample![1])).toBeGreaterThan(0);
    ws.write(config([], PROMOTED));
    const plan = await waitFor('the plan to see the lag', async () => {
      const p = ws.run(['plan']);
      return /lag \d+ MB \(not zero\)/.test(p.stdout) ? p : undefined;
    });
    expect(plan.stdout).toContain('promote the read replica of orders on db-2 to add-on reports');
    expect(plan.stdout).toMatch(/DATA_LOSS/);
    expect(plan.stdout).toContain('replay paused');
    const refused = ws.run(['apply', '--auto-approve']);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/refused[\s\S]*DATA_LOSS/);
    expect(onReplica('db-2', 'SELECT pg_is_in_recovery()')).toBe('t');

    onReplica('db-2', 'SELECT pg_wal_replay_resume()');
    await waitFor('the replica to catch up', async () => ((await rowsOf(replica)).length === 20000 ? true : undefined));
    const caughtUp = await waitFor('a plan without DATA_LOSS', async () => {
      const p = ws.run(['plan']);
      return p.stdout.includes('promote the read replica') && !p.stdout.includes('DATA_LOSS') ? p : undefined;
    });
    expect(caughtUp.stdout).toContain('lag 0 MB');
    const applied = ws.run(['apply', '--auto-approve']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);

    const reports = ws.urls('reports').DATABASE_URL!;
    expect(new URL(reports).pathname).toBe('/reports');
    expect((await rowsOf(reports)).length).toBe(20000);
    await asUser(reports, (c) => c.query('INSERT INTO items VALUES (20001)'));
    expect((await rowsOf(reports)).length).toBe(20001);
    // The reader of the promoted add-on reads; the primary is untouched and lets its slot go.
    expect((await rowsOf(ws.urls('reports').DATABASE_URL_READER!)).length).toBe(20001);
    expect((await rowsOf(primaryUrl)).length).toBe(20000);
    expect(slotsOnPrimary()).toBe('');
    expect(dockerOn(host('db-2'), ['ps', '-a', '--format', '{{.Names}}'])).toBe('dbform-reports');
    expectEmptyPlan(ws);
  });

  it('creates a replica on db-3, then deletes it with its slot', async () => {
    ws.write(config(['db-3'], PROMOTED));
    const created = ws.run(['apply', '--auto-approve']);
    expect(created.code, created.stdout + created.stderr).toBe(0);
    const third = replicaUrl('orders', 'db-3');
    expect(await waitFor('the rows on db-3', async () => ((await rowsOf(third)).length === 20000 ? true : undefined))).toBe(true);
    expect(slotsOnPrimary()).toBe('dbform_replica_db_3');
    expectEmptyPlan(ws);

    ws.write(config([], PROMOTED));
    const plan = ws.run(['plan']);
    expect(plan.stdout).toMatch(/addon\.orders\.read-replica\.db-3/);
    expect(plan.stdout).not.toMatch(/DATA_LOSS/);
    const deleted = ws.run(['apply', '--auto-approve']);
    expect(deleted.code, deleted.stdout + deleted.stderr).toBe(0);
    expect(dockerOn(host('db-3'), ['ps', '-a', '--format', '{{.Names}}'])).toBe('');
    expect(slotsOnPrimary()).toBe('');
    expect(psqlOn(host('db-1'), 'orders', PORT, 'postgres', "SELECT count(*) FROM pg_roles WHERE rolname = 'dbform_replication'")).toBe('0');
    expectEmptyPlan(ws);
  });

  it('never prints the replication password', () => {
    expect(ws.transcript.join('\n')).not.toMatch(/primary_conninfo|password=/);
  });
});
