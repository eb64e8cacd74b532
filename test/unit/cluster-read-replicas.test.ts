import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { desiredFleet, gather } from '../../src/gather/gather.js';
import { buildPlan } from '../../src/plan/build.js';
import type { AnyKind } from '../../src/resources/kind.js';
import type { HostReader } from '../../src/resources/reader.js';
import type { ObservedHaContainer } from '../../src/resources/ha/model.js';
import { gatewayPlacements } from '../../src/resources/ha/desired.js';
import { replicaKind } from '../../src/resources/replica/kind.js';
import { replicaPlacements } from '../../src/resources/replica/desired.js';
import type { ObservedReplica } from '../../src/resources/replica/model.js';
import { clusterSlotsKind, clusterSlotsPlacements } from '../../src/resources/cluster-slots/kind.js';
import { diffClusterSlots } from '../../src/resources/cluster-slots/diff.js';
import { clusterConfigCommand, parseClusterSlots } from '../../src/resources/cluster-slots/gather.js';
import { notYetApplied } from '../../src/cli/not-yet.js';
import { FILE, errorsOf, onlyError, yaml } from './config-helpers.js';
import { DESIRED_CTX, ORDERS_CLUSTER_YAML } from './fixtures.js';

// Read replicas of a highly available add-on, as plain data: the config's checks, the replica's desired state
// (it streams through the cluster's gateways as Patroni's replication user), the gateways' ACL, and the
// primary's side (a permanent slot in the cluster's configuration): created with the replica, removed with it.

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
// Lines 1-6: the hosts; 7-8: the consensus store; 9: addons; 10-13: the add-on; 14: readReplicas.
const HOSTS = ['version: 1', 'hosts:', ...['db-1', 'db-2', 'db-3', 'db-4'].map((h, i) => `  ${h}: {address: 10.77.0.1${i + 1}, hostKey: ${KEY}, identityFile: ~/.ssh/id_ed25519}`)];
const CLUSTER = ['consensus:', '  hosts: [db-3]', 'addons:', '  orders:', '    plan: postgresql-business-512', '    hosts: [db-1, db-2]', '    port: 31001'];
const cluster = (...lines: string[]) => yaml(...HOSTS, ...CLUSTER, ...lines);
const withReplicas = (replicas: string) => `${ORDERS_CLUSTER_YAML}    readReplicas: [${replicas}]\n`;

describe('readReplicas of a highly available add-on in databases.yaml', () => {
  it('accepts a replica on the consensus store\'s host and on a host of its own', () => {
    const config = loadConfig(FILE, cluster('    readReplicas: [db-3, db-4]'));
    expect(config.addons[0]!.readReplicas).toEqual(['db-3', 'db-4']);
  });

  it('is no longer among what a cluster lacks in this version', () => {
    const lacking = notYetApplied(loadConfig(FILE, cluster('    readReplicas: [db-3]'))).join('\n');
    // This cluster's defaults still lack something (encryption at rest of its members, local-storage backups):
    expect(lacking).toMatch(/^add-on orders: highly available on db-1 and db-2; not yet in this version: encryption at rest/);
    expect(lacking).not.toContain('read replicas');
  });

  it('refuses a replica on one of its members, at file:line:col', () => {
    expect(onlyError(cluster('    readReplicas: [db-4, db-2]'))).toBe(
      'databases.yaml:14:26: add-on "orders": a read replica on "db-2", one of its members (hosts:), would copy nothing to another machine; name another host (the consensus store\'s host is fine)',
    );
  });

  it('refuses promotedFrom a cluster while the host is still its replica, as for a single instance', () => {
    const reports = ['  reports:', '    plan: postgresql-starter-512', '    host: db-3', '    port: 31005', '    promotedFrom: orders'];
    expect(errorsOf(cluster('    readReplicas: [db-3]', ...reports))).toContain(
      'databases.yaml:19:19: add-on "reports": to promote the read replica of "orders" on "db-3", also remove "db-3" from the readReplicas of "orders"',
    );
  });
});

describe('the replica of a cluster', () => {
  const config = () => loadConfig(FILE, withReplicas('db-3'));

  it('streams through the gateways of both members at the add-on\'s port, as Patroni\'s replication user, with its own pg_hba.conf', () => {
    const [placed, ...more] = replicaPlacements(config(), DESIRED_CTX);
    expect(more).toEqual([]);
    expect([placed!.key, placed!.host, placed!.addon]).toEqual(['orders@db-3', 'db-3', 'orders']);
    const r = placed!.desired.replica;
    expect(r.primary).toBeUndefined();
    expect(r.cluster).toMatchObject({ gateways: ['10.77.0.11', '10.77.0.12'], port: 31001, user: 'replicator' });
    expect(r).toMatchObject({ name: 'dbform-orders-replica', port: 31001, memoryMb: 1024, slot: 'dbform_replica_db_3', tlsNames: ['10.77.0.13', 'db-3'] });
    // It notices a dead primary within seconds, and connects again after 1 s.
    expect(r.settings).toMatchObject({ hot_standby: 'on', port: '31001', wal_receiver_timeout: '5s', wal_retrieve_retry_interval: '1s' });
    // Clients reach the replica itself: the rules of a single instance's pg_hba.conf, no replication line.
    expect(r.cluster!.hba).toContain('host    all  all       0.0.0.0/0  scram-sha-256');
    expect(r.cluster!.hba).not.toContain('replication');
  });

  it('lets allowedIps through on the replica, and lets the replica through the gateways', () => {
    const text = withReplicas('db-3').replace('    port: 31001\n', '    port: 31001\n    allowedIps: [192.168.5.0/24]\n');
    const r = replicaPlacements(loadConfig(FILE, text), DESIRED_CTX)[0]!.desired.replica;
    expect(r.cluster!.hba).toContain('192.168.5.0/24');
    expect(r.cluster!.hba).not.toContain('0.0.0.0/0  scram');
    const acl = (t: string) => gatewayPlacements(loadConfig(FILE, t))[0]!.desired.spec.files['haproxy.cfg']!.split('\n').find((l) => l.includes('tcp-request'));
    expect(acl(text)).toBe('  tcp-request connection reject unless { src 127.0.0.1/32 ::1/128 10.77.0.11/32 10.77.0.12/32 10.77.0.13/32 192.168.5.0/24 }');
    expect(acl(text.replace('    readReplicas: [db-3]\n', ''))).toBe('  tcp-request connection reject unless { src 127.0.0.1/32 ::1/128 10.77.0.11/32 10.77.0.12/32 192.168.5.0/24 }');
    // Without allowedIps the gateways take every address: their file is the same with or without replicas.
    const file = (t: string) => gatewayPlacements(loadConfig(FILE, t))[0]!.desired.spec.files['haproxy.cfg'];
    expect(file(withReplicas('db-3'))).toBe(file(ORDERS_CLUSTER_YAML));
  });

  it('keeps the spec of a single instance\'s replica as it was (no restart of existing replicas)', () => {
    const single = yaml(...HOSTS, 'addons:', '  shop:', '    plan: postgresql-starter-512', '    host: db-1', '    port: 31001', '    readReplicas: [db-2]');
    const r = replicaPlacements(loadConfig(FILE, single), DESIRED_CTX)[0]!.desired.replica;
    expect(r.cluster).toBeUndefined();
    expect(r.primary).toEqual({ address: '10.77.0.11', port: 31001 });
    expect('cluster' in r).toBe(false);
    expect(r.settings.wal_receiver_timeout).toBeUndefined();
  });
});

describe('the promotion of a cluster\'s replica', () => {
  it('promotes it as a single instance\'s, and drops Patroni\'s replication user from the copy', () => {
    const text = `${ORDERS_CLUSTER_YAML}  reports:\n    plan: postgresql-starter-512\n    host: db-3\n    port: 31005\n    promotedFrom: orders\n`;
    const [p, ...more] = replicaPlacements(loadConfig(FILE, text), DESIRED_CTX);
    expect(more).toEqual([]);
    expect([p!.key, p!.host, p!.addon, p!.desired.promoteTo?.addon]).toEqual(['orders@db-3', 'db-3', 'reports', 'reports']);
    const r = p!.desired.replica;
    const observed: ObservedReplica = { source: 'orders', name: r.name, spec: r.spec, running: true, status: 'running', dataDir: r.dataDir, standby: { inRecovery: true, receiver: 'streaming', paused: false, behindMb: 0, caughtUp: true } };
    const [c, ...others] = replicaKind.diff(p!, observed);
    expect(others).toEqual([]);
    expect(c).toMatchObject({ address: 'addon.orders.read-replica.db-3', addon: 'reports', action: 'update', hazards: [] });
    expect(c!.steps[0]).toMatchObject({ type: 'replica.promote', source: 'orders', addon: 'reports', clusterUser: 'replicator', allowBehind: false });
    // The cluster's slot for it goes: db-3 is no longer among its read replicas.
    expect(clusterSlotsPlacements(loadConfig(FILE, text), DESIRED_CTX)[0]!.desired.slots).toEqual([]);
  });
});

describe('the permanent slots of a cluster', () => {
  it('are one resource on the preferred member\'s host, with every member\'s API', () => {
    const [p, ...more] = clusterSlotsPlacements(loadConfig(FILE, withReplicas('db-3')), DESIRED_CTX);
    expect(more).toEqual([]);
    expect([p!.key, p!.host, p!.addon]).toEqual(['orders', 'db-1', 'orders']);
    expect(p!.desired.slots).toEqual([{ host: 'db-3', slot: 'dbform_replica_db_3' }]);
    expect(p!.desired.apis).toEqual(['https://127.0.0.1:31003', 'https://10.77.0.12:31003']);
    expect(p!.desired.member).toMatchObject({ container: 'dbform-orders', dir: '/var/lib/dbform/orders' });
    // Placed without read replicas too: the slot of the last one removed must go.
    expect(clusterSlotsPlacements(loadConfig(FILE, ORDERS_CLUSTER_YAML), DESIRED_CTX)[0]!.desired.slots).toEqual([]);
  });

  it('reads dbform\'s slots from GET /config, leaving the others alone', () => {
    expect(parseClusterSlots('{"ttl": 6, "slots": {"dbform_replica_db_3": {"type": "physical"}, "theirs": {"type": "physical"}}}')).toEqual(['dbform_replica_db_3']);
    expect(parseClusterSlots('{"ttl": 6}')).toEqual([]);
    expect(parseClusterSlots('{"slots": null}')).toEqual([]);
    expect(parseClusterSlots('<html>')).toBeNull();
    const cmd = clusterConfigCommand('dbform-orders', ['https://127.0.0.1:31003', 'https://10.77.0.12:31003']);
    expect(cmd).toMatch(/^docker exec dbform-orders sh -c /);
    expect(cmd).toContain('--cacert /var/lib/dbform/tls/root.crt');
    expect(cmd).not.toContain('-k ');
  });

  it('adds a missing slot, also while the cluster is unknown; nothing when it is there; removes one no longer declared', () => {
    const p = clusterSlotsPlacements(loadConfig(FILE, withReplicas('db-3')), DESIRED_CTX)[0]!;
    for (const observed of [null, { slots: [] }]) {
      const [c, ...more] = diffClusterSlots(p, observed);
      expect(more).toEqual([]);
      expect(c).toMatchObject({ address: 'addon.orders.replication.slot.db-3', kind: 'cluster-slots', host: 'db-1', action: 'create', hazards: [] });
      expect(c!.steps).toEqual([{ type: 'cluster-slots.set', addon: 'orders', slot: 'dbform_replica_db_3', present: true, member: p.desired.member, apis: p.desired.apis }]);
    }
    expect(diffClusterSlots(p, { slots: ['dbform_replica_db_3'] })).toEqual([]);
    const none = clusterSlotsPlacements(loadConfig(FILE, ORDERS_CLUSTER_YAML), DESIRED_CTX)[0]!;
    const [gone] = diffClusterSlots(none, { slots: ['dbform_replica_db_3'] });
    expect(gone).toMatchObject({ address: 'addon.orders.replication.slot.dbform_replica_db_3', action: 'delete', hazards: [] });
    expect(gone!.steps[0]).toMatchObject({ type: 'cluster-slots.set', slot: 'dbform_replica_db_3', present: false });
    expect(diffClusterSlots(none, null)).toEqual([]);
  });
});

/** A host answering what these kinds read: HA containers, read replicas, the cluster's permanent slots. */
function host(config: Config, name: string, seen: { members?: string[]; replica?: ObservedReplica; slots?: string[] }): HostReader {
  const refuse = () => Promise.reject(new Error('not recorded'));
  const member = (n: string): ObservedHaContainer => ({ name: n, role: 'patroni', addon: 'orders', spec: 'x', running: true, status: 'running', dir: '/var/lib/dbform/orders', imageId: null, tagImageId: null });
  return {
    host: config.hosts.find((h) => h.name === name)!,
    fileHash: async () => null, fileExists: async () => false,
    containers: refuse, instance: refuse, secret: refuse, fileValues: refuse, backups: refuse, volume: refuse,
    haContainers: async () => new Map((seen.members ?? []).map((n) => [n, member(n)])),
    replicas: async () => new Map(seen.replica ? [['orders', seen.replica]] : []),
    patroniSlots: async () => seen.slots ?? [],
  };
}

async function planOf(text: string, seen: Record<string, Parameters<typeof host>[2]>) {
  const config = loadConfig(FILE, text);
  const kinds = [replicaKind, clusterSlotsKind] as AnyKind[];
  const desired = desiredFleet(config, DESIRED_CTX, kinds);
  const readers = new Map(Object.entries(seen).map(([h, s]) => [h, host(config, h, s)]));
  const { observed } = await gather(desired, readers, kinds);
  return buildPlan(config, desired, observed, kinds);
}

describe('the plan of a cluster\'s read replica', () => {
  it('creates the replica on its host and the permanent slot on the preferred member\'s; then has nothing to do; removing it deletes both', async () => {
    const fresh = await planOf(withReplicas('db-3'), { 'db-1': { members: ['dbform-orders'] }, 'db-2': {}, 'db-3': {} });
    expect(fresh.changes.map((c) => [c.address, c.kind, c.host, c.action])).toEqual([
      ['addon.orders.replication.slot.db-3', 'cluster-slots', 'db-1', 'create'],
      ['addon.orders.read-replica.db-3', 'replica', 'db-3', 'create'],
    ]);
    expect(fresh.changes[1]!.after).toMatchObject({ primary: 'the primary through the gateways 10.77.0.11:31001, 10.77.0.12:31001', slot: 'dbform_replica_db_3' });

    const r = replicaPlacements(loadConfig(FILE, withReplicas('db-3')), DESIRED_CTX)[0]!.desired.replica;
    const running: ObservedReplica = { source: 'orders', name: r.name, spec: r.spec, running: true, status: 'running', dataDir: r.dataDir, standby: { inRecovery: true, receiver: 'streaming', paused: false, behindMb: 0, caughtUp: true } };
    const made = { 'db-1': { members: ['dbform-orders'], slots: ['dbform_replica_db_3'] }, 'db-2': {}, 'db-3': { replica: running } };
    expect((await planOf(withReplicas('db-3'), made)).changes).toEqual([]);

    const removed = await planOf(ORDERS_CLUSTER_YAML, made);
    expect(removed.changes.map((c) => [c.address, c.kind, c.host, c.action, c.hazards.length])).toEqual([
      ['addon.orders.replication.slot.dbform_replica_db_3', 'cluster-slots', 'db-1', 'delete', 0],
      ['addon.orders.read-replica.db-3', 'replica', 'db-3', 'delete', 0],
    ]);
  });
});
