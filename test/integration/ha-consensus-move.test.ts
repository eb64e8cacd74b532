import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, type FleetHost, dockerOn, fleetDown, fleetUp, hostsYaml } from './fleet-harness.js';
import { Workspace, expectEmptyPlan } from './harness.js';
import { connectAny, longestGapMs, parseMultiHostUrl, runWriter, type Target } from './ha-writer.js';
import { runCliAsync } from './ha-cli.js';
import { haPorts } from '../../src/config/ha-check.js';
import { DEFAULT_DATA_DIR as DATA_DIR } from '../../src/config/load.js';

// The consensus store (etcd) moved to another host by editing `consensus.hosts` ([db-3] -> [db-4]), on the real
// fleet, while a writer commits one row at a time through DATABASE_URL: db-4 joins the store as a learner, is
// promoted, db-3 leaves; the store keeps its data (same etcd cluster, Patroni's keys as they were), the members
// are not restarted and follow the store to db-4, and a switchover through it still works. Then the move back,
// with the apply killed midway: the next plan and apply finish it.

const CLI = fileURLToPath(new URL('../../bin/dbform.js', import.meta.url));
const API = haPorts(31001).api;
const TLS = ['--cacert', '/var/lib/dbform/tls/root.crt'];
const ETCD_TLS = [...TLS, '--cert', '/var/lib/dbform/tls/member.crt', '--key', '/var/lib/dbform/tls/member.key'];
const MEMBER_CHANGE_TLS = [...TLS, '--cert', '/var/lib/dbform/tls/etcd-client.crt', '--key', '/var/lib/dbform/tls/etcd-client.key'];

let fleet: Fleet;
const ws = new Workspace();
const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;

function config(consensus: string): string {
  return `version: 1
hosts:
${hostsYaml(fleet)}consensus:
  hosts: [${consensus}]
addons:
  orders:
    plan: postgresql-business-512
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    hosts: [db-1, db-2]
    port: 31001
`;
}

/** etcd's v3 JSON API, asked from inside the etcd member on `h` with its certificate. */
function etcd(h: FleetHost, path: string, body: object): Record<string, unknown> {
  return JSON.parse(dockerOn(h, ['exec', 'dbform-etcd', 'curl', '-sf', '-m', '5', ...ETCD_TLS, '-X', 'POST', '-d', JSON.stringify(body), `https://127.0.0.1:2379${path}`])) as Record<string, unknown>;
}

const b64 = (t: string) => Buffer.from(t).toString('base64');

/** The store's identity and Patroni's keys of `orders` as the member on `h` has them. */
function storeState(h: FleetHost): { clusterId: string; initialize: { value: string; created: string }; config: Record<string, unknown>; members: string[] } {
  const key = (k: string) => {
    const r = etcd(h, '/v3/kv/range', { key: b64(`/dbform/orders/${k}`) }) as { header: { cluster_id: string }; kvs?: Array<{ value: string; create_revision: string }> };
    const kv = r.kvs?.[0];
    if (!kv) throw new Error(`no key /dbform/orders/${k} on ${h.name}`);
    return { clusterId: r.header.cluster_id, value: Buffer.from(kv.value, 'base64').toString(), created: kv.create_revision };
  };
  const init = key('initialize');
  const cfg = key('config');
  const members = (etcd(h, '/v3/cluster/member/list', {}) as { members: Array<{ name?: string }> }).members.map((m) => m.name ?? '').sort();
  return { clusterId: init.clusterId, initialize: { value: init.value, created: init.created }, config: JSON.parse(cfg.value) as Record<string, unknown>, members };
}

/** Patroni's /cluster as the member on `h` sees it. */
function cluster(h: FleetHost): Array<{ name: string; role: string; state: string }> {
  return (JSON.parse(dockerOn(h, ['exec', 'dbform-orders', 'curl', '-sf', '-m', '5', ...TLS, `https://127.0.0.1:${API}/cluster`])) as { members: Array<{ name: string; role: string; state: string }> }).members;
}

const leader = (h: FleetHost) => cluster(h).find((m) => m.role === 'leader')?.name;
const started = (h: FleetHost, name: string) => dockerOn(h, ['inspect', '-f', '{{.State.StartedAt}}', name]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A move's apply waits 65 s for Patroni to learn of the new member, and each step runs containers on the hosts:
 *  with other fleets busy on the machine's 2 cores, one apply took 220 s. */
const MOVE_TIMEOUT = 900_000;

beforeAll(() => {
  fleet = fleetUp(4);
  ws.write(config('db-3'));
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('the consensus store moved to another host', () => {
  let target: Target;
  let before: ReturnType<typeof storeState>;

  it('runs orders on db-1 and db-2, etcd on db-3; a mark in the cluster\'s permanent configuration', () => {
    const applied = ws.run(['apply', '--auto-approve']);
    expect(applied.code, applied.stdout.slice(-2000) + applied.stderr).toBe(0);
    target = parseMultiHostUrl(ws.urls('orders').DATABASE_URL!);
    // A key of the dynamic configuration only the store that was there holds (Patroni keeps unknown keys).
    dockerOn(host('db-1'), ['exec', 'dbform-orders', 'curl', '-sf', '-m', '5', ...MEMBER_CHANGE_TLS, '-X', 'PATCH', '-d', '{"dbform_test_mark":"kept"}', `https://127.0.0.1:${API}/config`]);
    before = storeState(host('db-3'));
    expect(before.members).toEqual(['db-3']);
    expect(before.config).toMatchObject({ ttl: 6, loop_wait: 1, retry_timeout: 2, dbform_test_mark: 'kept' });
    expectEmptyPlan(ws);
  }, MOVE_TIMEOUT);

  it('[db-3] -> [db-4]: db-4 joins, db-3 leaves, the members are not restarted; no acknowledged row lost; plan empty', async () => {
    ws.write(config('db-4'));
    const planned = ws.run(['plan']);
    console.log(planned.stdout);
    expect(planned.stdout).toMatch(/\+ consensus\.etcd\.db-4 {2}\(create\)\n {6}db-4 joins the consensus store \(members: db-3\), which keeps its data/);
    expect(planned.stdout).toMatch(/- consensus\.etcd\.db-3 {2}\(delete\)\n {6}db-3 leaves the consensus store once db-4 votes/);
    expect(planned.stdout).toContain('FAILOVER: the consensus store grows from 1 to 2 members, then shrinks back to 1 (db-4)');
    expect(planned.stdout).toMatch(/~ addon\.orders\.patroni\.db-1 {2}\(update\)\n {6}patroni\.yml names the consensus store's members now \(\S+:2379\): rewritten for Patroni's next start, without a restart or reload/);
    expect(planned.stdout).toMatch(/~ addon\.orders\.patroni\.db-2 {2}\(update\)/);
    expect(planned.stdout).not.toMatch(/PostgreSQL of orders on db-\d restarts/);
    const memberStarts = ['db-1', 'db-2'].map((h) => started(host(h), 'dbform-orders'));

    const { client } = await connectAny(target, 0);
    await client.query('CREATE TABLE moving (id int PRIMARY KEY)');
    await client.end();
    let stop = false;
    const writing = runWriter(target, 'moving', () => stop);
    await sleep(2000);
    const t0 = Date.now();
    const applied = await runCliAsync(ws, ['apply', '--auto-approve', '--allow-hazards', 'FAILOVER']);
    console.log(`consensus store moved from db-3 to db-4: apply ${Date.now() - t0} ms`);
    await sleep(2000);
    stop = true;
    const result = await writing;
    expect(applied.code, applied.stdout.slice(-3000) + applied.stderr).toBe(0);
    const { client: after } = await connectAny(target, 0);
    const present = new Set((await after.query<{ id: number }>('SELECT id FROM moving')).rows.map((r) => r.id));
    await after.end();
    const lost = result.acked.filter((id) => !present.has(id));
    console.log(`writer: ${result.acked.length} acknowledged, ${result.inDoubt.length} in doubt, longest gap ${longestGapMs(result)} ms, ${lost.length} lost`);
    expect(result.acked.length).toBeGreaterThan(0);
    expect(lost).toEqual([]);

    // etcd runs on db-4 only, db-3's directory is gone; the store is the same (its cluster ID, Patroni's keys).
    expect(dockerOn(host('db-3'), ['ps', '-aq', '--filter', 'name=dbform-etcd'])).toBe('');
    expect(dockerOn(host('db-3'), ['run', '--rm', '--network', 'none', '-v', `${DATA_DIR}:/d:ro`, 'dbform-postgresql:15', 'ls', '-A', '/d']).split('\n')).not.toContain('.consensus');
    expect(dockerOn(host('db-4'), ['ps', '--format', '{{.Names}}'])).toBe('dbform-etcd');
    const now = storeState(host('db-4'));
    expect(now.members).toEqual(['db-4']);
    expect(now.clusterId).toBe(before.clusterId);
    expect(now.initialize).toEqual(before.initialize);
    expect(now.config).toMatchObject({ ttl: 6, loop_wait: 1, retry_timeout: 2, dbform_test_mark: 'kept' });
    // The members were not restarted; their patroni.yml names db-4 for their next start.
    expect(['db-1', 'db-2'].map((h) => started(host(h), 'dbform-orders'))).toEqual(memberStarts);
    for (const h of ['db-1', 'db-2']) {
      const yml = dockerOn(host(h), ['exec', 'dbform-orders', 'cat', '/var/lib/dbform/patroni.yml']);
      expect(yml).toContain(`- ${host('db-4').address}:2379`);
      expect(yml).not.toContain(`- ${host('db-3').address}:2379`);
    }
    expectEmptyPlan(ws);
  }, MOVE_TIMEOUT);

  it('a switchover goes through the store on db-4', async () => {
    const from = leader(host('db-1'))!;
    const to = from === 'db-1' ? 'db-2' : 'db-1';
    for (let i = 0; i < 40 && !cluster(host(from)).some((m) => m.name === to && m.role === 'sync_standby' && m.state === 'streaming'); i++) await sleep(500);
    dockerOn(host(from), ['exec', 'dbform-orders', 'curl', '-sf', '-m', '30', ...MEMBER_CHANGE_TLS, '-X', 'POST', '-d', JSON.stringify({ leader: from, candidate: to }), `https://127.0.0.1:${API}/switchover`]);
    let now = leader(host(to));
    for (let i = 0; i < 40 && now !== to; i++) {
      await sleep(500);
      now = leader(host(to));
    }
    console.log(`switchover ${from} -> ${to}: leader now ${now}`);
    expect(now).toBe(to);
    const { client } = await connectAny(target, 0);
    await client.query('INSERT INTO moving (id) VALUES (-1)');
    await client.end();
  });

  it('[db-4] -> [db-3] with the apply killed once db-3 is added: the next plan and apply finish the move; plan empty', async () => {
    ws.write(config('db-3'));
    const child = spawn(process.execPath, [CLI, 'apply', '--auto-approve', '--allow-hazards', 'FAILOVER', '-f', ws.config], { env: { ...process.env, ...ws.env }, stdio: 'ignore' });
    const closed = new Promise((r) => child.on('close', r));
    // Killed once etcd lists db-3 (a learner, added but not promoted: the join waits for Patroni).
    let members: string[] = [];
    for (let i = 0; i < 240 && members.length < 2; i++) {
      await sleep(500);
      members = (etcd(host('db-4'), '/v3/cluster/member/list', {}) as { members: unknown[] }).members.map(String);
    }
    expect(members.length).toBe(2);
    await sleep(3000);
    child.kill('SIGKILL');
    await closed;
    const planned = ws.run(['plan']);
    console.log(planned.stdout);
    expect(planned.stdout).toMatch(/[+~] consensus\.etcd\.db-3 {2}\((create|update)\)\n {6}db-3 joins the consensus store \(members: db-4\)/);
    expect(planned.stdout).toMatch(/- consensus\.etcd\.db-4 {2}\(delete\)/);
    const t0 = Date.now();
    const applied = await runCliAsync(ws, ['apply', '--auto-approve', '--allow-hazards', 'FAILOVER']);
    console.log(`move back finished: apply ${Date.now() - t0} ms`);
    expect(applied.code, applied.stdout.slice(-3000) + applied.stderr).toBe(0);
    const now = storeState(host('db-3'));
    expect(now.members).toEqual(['db-3']);
    expect(now.clusterId).toBe(before.clusterId);
    expect(now.config).toMatchObject({ dbform_test_mark: 'kept' });
    expect(dockerOn(host('db-4'), ['ps', '-aq', '--filter', 'name=dbform-etcd'])).toBe('');
    const { client } = await connectAny(target, 0);
    expect((await client.query('SELECT count(*)::int AS n FROM moving WHERE id = -1')).rows[0].n).toBe(1);
    await client.end();
    expectEmptyPlan(ws);
  }, MOVE_TIMEOUT);
});
