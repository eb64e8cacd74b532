import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, dockerOn, fleetDown, fleetUp, hostsYaml, psqlOn } from './fleet-harness.js';
import { Workspace, asUser, expectEmptyPlan } from './harness.js';
import { connectAny, parseMultiHostUrl, type Target } from './ha-writer.js';

// A read replica of a highly available business add-on on the real fleet: members on db-1 and db-2, etcd and
// the read replica on db-3. The replica streams through the gateways as Patroni's replication user, its slot a
// permanent slot of the cluster. Read your writes on it; after a switchover it follows the new primary (new
// rows reach it, on the new timeline); removed from the file, the replica and its slot go. Every scenario ends
// with an empty plan. Addresses are the fleet's (this file runs in the second lane, on a fleet of its own).

const CLI = fileURLToPath(new URL('../../bin/dbform.js', import.meta.url));
let fleet: Fleet;
const ws = new Workspace();
const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;

const PORT = 31001;
const PG_PORT = 31002;
const API = 'https://127.0.0.1:31003';

/** A single-instance add-on on db-3 made from the cluster's read replica there. */
const REPORTS = `  reports:
    plan: postgresql-starter-512
    encryptionAtRest: false
    host: db-3
    port: 31005
    promotedFrom: orders
`;

/** `config`'s add-on with `allowedIps: [this machine's address on the fleet's bridge]`. */
const allowingUs = () => `    allowedIps: [${fleet.bridgeAddress}/32]\n`;

function config(replicas: string[], extra = '', ordersExtra = ''): string {
  return `version: 1
hosts:
${hostsYaml(fleet)}consensus:
  hosts: [db-3]
addons:
  orders:
    plan: postgresql-business-512
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    hosts: [db-1, db-2]
    port: ${PORT}
    readReplicas: [${replicas.join(', ')}]
${ordersExtra}${extra}`;
}

/** What these tests read of `status --format json`. */
interface StatusMember {
  name: string;
  host: string;
  role: string;
  readReplica: boolean;
  state: string;
  replicationLagSeconds: number | null;
  replicationLagBytes: number | null;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve().then(fn).catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `dbform output orders --read-replica db-3`: the replica's URL. */
function replicaUrl(): string {
  const r = spawnSync(process.execPath, [CLI, 'output', 'orders', '--read-replica', 'db-3', '-f', ws.config], { env: { ...process.env, ...ws.env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dbform output --read-replica failed: ${r.stderr}`);
  const line = r.stdout.trim();
  expect(line.slice(0, line.indexOf('='))).toBe('DATABASE_URL_READ_REPLICA_DB_3');
  return line.slice(line.indexOf('=') + 1);
}

const onMember = (name: string, sql: string) => psqlOn(host(name), 'orders', PG_PORT, 'postgres', sql);
const onReplica = (sql: string) => psqlOn(host('db-3'), 'orders-replica', PORT, 'postgres', sql);
const slotsOn = (name: string) => onMember(name, "SELECT slot_name || ' ' || active FROM pg_replication_slots WHERE slot_name LIKE 'dbform%' ORDER BY 1");

/** Patroni's dynamic configuration, from a member's API. */
function patroniConfig(from: string): { slots?: Record<string, unknown> } {
  return JSON.parse(dockerOn(host(from), ['exec', 'dbform-orders', 'curl', '-sf', '-m', '2', '--cacert', '/var/lib/dbform/tls/root.crt', `${API}/config`])) as { slots?: Record<string, unknown> };
}

/** The member Patroni calls the leader, from db-2's API. */
function leader(): string | undefined {
  const r = spawnSync('docker', ['-H', host('db-2').dockerHost, 'exec', 'dbform-orders', 'curl', '-sf', '-m', '2', '--cacert', '/var/lib/dbform/tls/root.crt', `${API}/cluster`], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return (JSON.parse(r.stdout) as { members: Array<{ name: string; role: string }> }).members.find((m) => m.role === 'leader')?.name;
}

const rowsOf = (url: string) => asUser(url, async (c) => (await c.query<{ n: number }>('SELECT n FROM items ORDER BY n')).rows.map((r) => r.n));

async function write(target: Target, sql: string): Promise<void> {
  const { client } = await connectAny(target);
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function replicaStatus(): StatusMember {
  const r = ws.run(['status', 'orders', '--format', 'json']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const a = (JSON.parse(r.stdout) as { addons: Array<{ errors: string[]; members: StatusMember[] }> }).addons[0]!;
  expect(a.errors).toEqual([]);
  return a.members.find((m) => m.readReplica)!;
}

beforeAll(() => {
  fleet = fleetUp(3);
  ws.write(config(['db-3']));
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('a read replica of a highly available add-on', () => {
  let target: Target;
  let replica = '';

  it('is created with the cluster: it streams through the gateways, its slot is a permanent slot of the cluster; the next plan is empty', async () => {
    const started = Date.now();
    const r = ws.run(['apply', '--auto-approve']);
    console.log(`apply of the cluster and its read replica: ${Date.now() - started} ms`);
    expect(r.stdout).toMatch(/addon\.orders\.read-replica\.db-3/);
    expect(r.stdout).toMatch(/addon\.orders\.replication\.slot\.db-3/);
    expect(r.code, r.stdout.slice(-3000) + r.stderr).toBe(0);
    expect(dockerOn(host('db-3'), ['ps', '--format', '{{.Names}}']).split('\n').sort()).toEqual(['dbform-etcd', 'dbform-orders-replica']);
    expect(onReplica('SELECT pg_is_in_recovery()')).toBe('t');
    expect(Object.keys(patroniConfig('db-2').slots ?? {})).toEqual(['dbform_replica_db_3']);
    // Through a gateway: the primary sees the gateway's address (a member's), as Patroni's replication user.
    const sender = await waitFor('the replica to stream', () => {
      const s = onReplica("SELECT status || ' ' || sender_host || ' ' || received_tli FROM pg_stat_wal_receiver");
      return s.startsWith('streaming ') ? s : undefined;
    });
    expect([`streaming ${host('db-1').address} 1`, `streaming ${host('db-2').address} 1`]).toContain(sender);
    expect(onMember('db-1', "SELECT usename || ' ' || application_name FROM pg_stat_replication WHERE application_name LIKE 'dbform%'")).toBe('replicator dbform_replica_db_3');
    expect(await waitFor('the slot to be active', () => (slotsOn('db-1') === 'dbform_replica_db_3 true' ? true : undefined))).toBe(true);
    target = parseMultiHostUrl(ws.urls('orders').DATABASE_URL!);
    replica = replicaUrl();
    expect(new URL(replica).hostname).toBe(host('db-3').address);
    const plan = expectEmptyPlan(ws);
    expect(plan.stdout).toMatch(/Note: add-on orders: read replica on db-3 \(streaming, lag \d+ MB\)/);
  });

  it('serves the rows written through DATABASE_URL once its lag is 0, and refuses writes', async () => {
    await write(target, 'CREATE TABLE items (n int PRIMARY KEY); INSERT INTO items VALUES (1), (2)');
    expect(await waitFor('the rows on the replica', async () => ((await rowsOf(replica)).length === 2 ? rowsOf(replica) : undefined))).toEqual([1, 2]);
    expect(await waitFor('lag 0', () => (replicaStatus().replicationLagBytes === 0 ? true : undefined))).toBe(true);
    const refused = await asUser(replica, (c) => c.query('INSERT INTO items VALUES (99)').then(() => 'written', (e: { code?: string }) => e.code));
    expect(refused).toBe('25006'); // read_only_sql_transaction
    expectEmptyPlan(ws);
  });

  it('follows the new primary after a switchover: new rows reach it on the new timeline; status shows it', async () => {
    const t0 = Date.now();
    dockerOn(host('db-1'), ['exec', 'dbform-orders', 'patronictl', '-c', '/var/lib/dbform/patroni.yml', 'switchover', '--leader', 'db-1', '--candidate', 'db-2', '--force']);
    await waitFor('db-2 to lead', () => (leader() === 'db-2' ? true : undefined));
    const led = Date.now() - t0;
    // The new primary has the permanent slot, the replica uses it from there.
    await waitFor('the slot active on the new primary', () => (slotsOn('db-2') === 'dbform_replica_db_3 true' ? true : undefined));
    const streaming = Date.now() - t0;
    const lagAfter = replicaStatus().replicationLagBytes;
    const t1 = Date.now();
    await write(target, 'INSERT INTO items VALUES (3)');
    expect(await waitFor('row 3 on the replica', async () => ((await rowsOf(replica)).includes(3) ? rowsOf(replica) : undefined))).toEqual([1, 2, 3]);
    console.log(`switchover: db-2 leads after ${led} ms, the replica streams from it after ${streaming} ms (lag then ${lagAfter} bytes); a row written after it is on the replica ${Date.now() - t1} ms later`);
    expect(onReplica('SELECT received_tli FROM pg_stat_wal_receiver')).toBe('2');
    const m = await waitFor('status to see the replica caught up', () => {
      const s = replicaStatus();
      return s.replicationLagBytes === 0 ? s : undefined;
    });
    expect([m.name, m.host, m.role, m.state]).toEqual(['dbform-orders-replica', 'db-3', 'replica', 'running']);
    expect(ws.run(['status', 'orders']).stdout).toContain('dbform-orders-replica (read replica) on db-3: running');
    // The old primary, a replica now, keeps no copy of the slot (Patroni 3.0 keeps permanent physical slots on the primary only).
    expect(await waitFor('no slot on db-1', () => (slotsOn('db-1') === '' ? true : undefined), 10_000)).toBe(true);
    const plan = expectEmptyPlan(ws);
    expect(plan.stdout).toContain('Note: add-on orders: db-2 is the primary');
  });

  it('takes allowedIps: the gateways let the replica host through, the replica lets the allowed clients in; it streams again', async () => {
    ws.write(config(['db-3'], '', allowingUs()));
    const plan = ws.run(['plan']);
    expect(plan.stdout).toMatch(/addon\.orders\.gateway\.db-1/);
    expect(plan.stdout).toMatch(/addon\.orders\.read-replica\.db-3/);
    const r = ws.run(['apply', '--auto-approve', '--allow-hazards', 'RESTART,ACCESS_CHANGE']);
    expect(r.code, r.stdout.slice(-3000) + r.stderr).toBe(0);
    const acl = dockerOn(host('db-1'), ['exec', 'dbform-orders-gateway', 'grep', 'tcp-request', '/var/lib/dbform/haproxy.cfg']);
    expect(acl).toContain(`${host('db-3').address}/32`);
    const hba = dockerOn(host('db-3'), ['exec', 'dbform-orders-replica', 'cat', '/var/lib/dbform/pgdata/pg_hba.conf']);
    expect(hba).toContain(`all  all       ${fleet.bridgeAddress}/32  scram-sha-256`);
    expect(hba).not.toContain('0.0.0.0/0');
    await waitFor('the replica to stream again', () => (onReplica('SELECT status FROM pg_stat_wal_receiver') === 'streaming' ? true : undefined));
    await write(target, 'INSERT INTO items VALUES (10)');
    expect(await waitFor('row 10 on the replica', async () => ((await rowsOf(replica)).includes(10) ? true : undefined))).toBe(true);
    expectEmptyPlan(ws);
    ws.write(config(['db-3']));
    const back = ws.run(['apply', '--auto-approve', '--allow-hazards', 'RESTART,ACCESS_CHANGE']);
    expect(back.code, back.stdout.slice(-3000) + back.stderr).toBe(0);
    await waitFor('the replica to stream again', () => (onReplica('SELECT status FROM pg_stat_wal_receiver') === 'streaming' ? true : undefined));
    expectEmptyPlan(ws);
  });

  it('is deleted with its slot when removed from the file', async () => {
    ws.write(config([]));
    const plan = ws.run(['plan']);
    expect(plan.stdout).toMatch(/addon\.orders\.read-replica\.db-3/);
    expect(plan.stdout).toMatch(/addon\.orders\.replication\.slot\.dbform_replica_db_3/);
    expect(plan.stdout).not.toMatch(/DATA_LOSS/);
    const r = ws.run(['apply', '--auto-approve']);
    expect(r.code, r.stdout.slice(-3000) + r.stderr).toBe(0);
    expect(dockerOn(host('db-3'), ['ps', '-a', '--format', '{{.Names}}'])).toBe('dbform-etcd');
    expect(patroniConfig('db-1').slots ?? {}).toEqual({});
    // Patroni drops the slot on the primary at its next loop, once the replica has let go of it.
    expect(await waitFor('the slot dropped', () => (slotsOn('db-2') === '' ? true : undefined), 30_000)).toBe(true);
    const { client } = await connectAny(target);
    expect((await client.query('SELECT n FROM items')).rowCount).toBe(4);
    await client.end();
    expectEmptyPlan(ws);
  });

  it('is promoted to an add-on of its own like a single instance\'s replica; the cluster lets its slot go', async () => {
    ws.write(config(['db-3']));
    const t0 = Date.now();
    const made = ws.run(['apply', '--auto-approve']);
    expect(made.code, made.stdout.slice(-3000) + made.stderr).toBe(0);
    console.log(`a read replica added to the running cluster: applied in ${Date.now() - t0} ms`);
    await write(target, 'INSERT INTO items VALUES (4)');
    expect(await waitFor('row 4 on the replica', async () => ((await rowsOf(replicaUrl())).length === 5 ? true : undefined))).toBe(true);
    ws.write(config([], REPORTS));
    await waitFor('a plan that promotes without DATA_LOSS', () => {
      const p = ws.run(['plan']);
      return p.stdout.includes('promote the read replica of orders on db-3 to add-on reports') && !p.stdout.includes('DATA_LOSS') ? true : undefined;
    });
    const promoted = ws.run(['apply', '--auto-approve']);
    expect(promoted.code, promoted.stdout.slice(-3000) + promoted.stderr).toBe(0);
    const reports = ws.urls('reports').DATABASE_URL!;
    expect((await rowsOf(reports))).toEqual([1, 2, 3, 4, 10]);
    await asUser(reports, (c) => c.query('INSERT INTO items VALUES (5)'));
    expect(psqlOn(host('db-3'), 'reports', 31005, 'postgres', "SELECT count(*) FROM pg_roles WHERE rolname = 'replicator'")).toBe('0');
    expect(patroniConfig('db-1').slots ?? {}).toEqual({});
    expect(await waitFor('the slot dropped', () => (slotsOn('db-2') === '' ? true : undefined), 30_000)).toBe(true);
    expect(dockerOn(host('db-3'), ['ps', '--format', '{{.Names}}']).split('\n').sort()).toEqual(['dbform-etcd', 'dbform-reports']);
    expectEmptyPlan(ws);
  });

  it('never prints the replication password', () => {
    expect(ws.transcript.join('\n')).not.toMatch(/primary_conninfo|password=/);
  });
});
