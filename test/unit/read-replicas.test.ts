import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { DesiredContext, Placed } from '../../src/resources/kind.js';
import { desiredAddon } from '../../src/resources/desired.js';
import { replicaPlacements } from '../../src/resources/replica/desired.js';
import { diffReplica, replicaNotes } from '../../src/resources/replica/diff.js';
import { parseReplicaList } from '../../src/resources/replica/gather.js';
import type { DesiredReplica, ObservedReplica, StandbyState } from '../../src/resources/replica/model.js';
import { diffReplicationSource } from '../../src/resources/replication/diff.js';
import type { ObservedCatalog } from '../../src/resources/model.js';
import { FILE, errorsOf, onlyError, yaml } from './config-helpers.js';
import { diffAccess } from '../../src/resources/hba/diff.js';
import { renderHba } from '../../src/resources/hba/hba.js';
import { desired } from './fixtures.js';

// Read replicas as plain data: the config's `readReplicas:` / `promotedFrom:` -> desired state, and desired +
// observed -> the plan's changes (create, delete, promotion refused while behind), on both sides.

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
// Lines 1-5: the hosts; line 6: addons.
const HOSTS = ['version: 1', 'hosts:', ...['db-1', 'db-2', 'db-3'].map((h, i) => `  ${h}: {address: 10.77.0.1${i + 1}, hostKey: ${KEY}, identityFile: ~/.ssh/id_ed25519}`)];
const ORDERS = ['  orders:', '    plan: postgresql-starter-512', '    host: db-1', '    port: 31001'];
const file = (...lines: string[]) => yaml(...HOSTS, 'addons:', ...lines);
const ctx: DesiredContext = { caPublicKeyPem: '', now: new Date('2026-11-30T00:00:00Z'), backupRecipient: () => 'age1recipient' };

describe('readReplicas and promotedFrom in databases.yaml', () => {
  it('places a replica on each named host, keyed addon@host, with its primary\'s address, port and sizing', () => {
    const config = loadConfig(FILE, file(...ORDERS, '    readReplicas: [db-2, db-3]'));
    const placed = replicaPlacements(config, ctx);
    expect(placed.map((p) => [p.key, p.host, p.addon])).toEqual([['orders@db-2', 'db-2', 'orders'], ['orders@db-3', 'db-3', 'orders']]);
    const r = placed[0]!.desired.replica;
    expect(r).toMatchObject({ name: 'dbform-orders-replica', port: 31001, memoryMb: 512, primary: { address: '10.77.0.11', port: 31001 }, slot: 'dbform_replica_db_2' });
    expect(r.settings.hot_standby).toBe('on');
    expect(Object.keys(r.settings).filter((k) => k.startsWith('archive_'))).toEqual([]);
    // The primary lets each replica's address in for replication only, over TLS.
    const primary = desiredAddon(config, config.addons[0]!, ctx);
    expect(primary.hba).toContain('hostssl replication  dbform_replication  10.77.0.12/32  scram-sha-256');
    expect(primary.hba).toContain('hostssl replication  dbform_replication  10.77.0.13/32  scram-sha-256');
  });

  it('refuses the add-on\'s own host, an unknown host, and a member of a highly available add-on, at file:line:col', () => {
    expect(onlyError(file(...ORDERS, '    readReplicas: [db-1]'))).toBe(
      'databases.yaml:11:20: add-on "orders": a read replica on "db-1", the add-on\'s own host, would copy nothing to another machine; name another host',
    );
    expect(onlyError(file(...ORDERS, '    readReplicas: [db-9]'))).toMatch(/^databases\.yaml:11:20: add-on "orders": read replica on host "db-9" is not declared under hosts/);
    // A highly available add-on's replica may not be on one of its members (test/unit/cluster-read-replicas.test.ts).
    const ha = errorsOf(yaml(...HOSTS, 'consensus:', '  hosts: [db-3]', 'addons:', '  orders:', '    plan: postgresql-business-512', '    hosts: [db-1, db-2]', '    port: 31001', '    readReplicas: [db-1]'));
    expect(ha).toContain('databases.yaml:13:20: add-on "orders": a read replica on "db-1", one of its members (hosts:), would copy nothing to another machine; name another host (the consensus store\'s host is fine)');
  });

  it('refuses an add-on whose container would have a replica\'s name on its host', () => {
    expect(errorsOf(file(...ORDERS, '    readReplicas: [db-2]', '  orders-replica:', '    plan: postgresql-sandbox', '    host: db-2', '    port: 31005'))).toContain(
      'databases.yaml:11:5: add-on "orders": its read replica on "db-2" and add-on "orders-replica" there would both be container dbform-orders-replica; rename that add-on',
    );
  });

  it('refuses a replica on a host:port another add-on uses', () => {
    expect(errorsOf(file(...ORDERS, '    readReplicas: [db-2]', '  shop:', '    plan: postgresql-sandbox', '    host: db-2', '    port: 31001'))).toContain(
      'databases.yaml:15:11: port 31001 on host "db-2" is already used by the read replica of "orders"; each add-on needs its own port on a host',
    );
  });

  it('refuses promotedFrom an unknown add-on, or while the host is still a replica of it', () => {
    const promoted = ['  reports:', '    plan: postgresql-starter-512', '    host: db-2', '    port: 31002'];
    expect(onlyError(file(...ORDERS, ...promoted, '    promotedFrom: order'))).toBe('databases.yaml:15:19: add-on "reports": promotedFrom "order" is not another add-on of this file; did you mean "orders"?');
    expect(onlyError(file(...ORDERS, '    readReplicas: [db-2]', ...promoted, '    promotedFrom: orders'))).toBe(
      'databases.yaml:16:19: add-on "reports": to promote the read replica of "orders" on "db-2", also remove "db-2" from the readReplicas of "orders"',
    );
    const config = loadConfig(FILE, file(...ORDERS, ...promoted, '    promotedFrom: orders'));
    const placed = replicaPlacements(config, ctx);
    expect(placed.map((p) => [p.key, p.host, p.addon, p.desired.promoteTo?.addon])).toEqual([['orders@db-2', 'db-2', 'reports', 'reports']]);
    // Its own passwords for the roles the copy brings (owner renamed after it): keystore keys, never a password.
    expect(placed[0]!.desired.promoteTo!.roles).toEqual([{ name: 'reports', key: 'addon/reports/user/reports' }]);
  });
});

const spec = () => replicaPlacements(loadConfig(FILE, file(...ORDERS, '    readReplicas: [db-2]')), ctx)[0]!;
const standby = (s: Partial<StandbyState> = {}): StandbyState => ({ inRecovery: true, receiver: 'streaming', paused: false, behindMb: 0, caughtUp: true, ...s });
function observed(p: Placed<DesiredReplica>, s: StandbyState | null = standby()): ObservedReplica {
  return { source: 'orders', name: 'dbform-orders-replica', spec: p.desired.replica.spec, running: true, status: 'running', dataDir: p.desired.replica.dataDir, standby: s };
}
const promotion = (): Placed<DesiredReplica> => {
  const p = spec();
  return { ...p, addon: 'reports', desired: { ...p.desired, promoteTo: { addon: 'reports', dataDir: '/var/lib/dbform/reports', superuserKey: 'addon/reports/postgres', roles: [{ name: 'reports', key: 'addon/reports/user/reports' }] } } };
};

describe('the replica kind\'s diff', () => {
  it('creates a missing replica, and says nothing of one that streams but its lag in a note', () => {
    const p = spec();
    const [create] = diffReplica(p, null);
    expect(create).toMatchObject({ address: 'addon.orders.read-replica.db-2', action: 'create', host: 'db-2', hazards: [] });
    expect(create!.steps[0]).toMatchObject({ type: 'replica.ensure', slot: 'dbform_replica_db_2', dataDir: '/var/lib/dbform/.replicas/orders' });
    expect(diffReplica(p, observed(p))).toEqual([]);
    expect(replicaNotes(p, observed(p))).toEqual(['add-on orders: read replica on db-2 (streaming, lag 0 MB)']);
  });

  it('makes it again (RESTART) when its primary\'s settings change, and deletes an undeclared one without a hazard', () => {
    const p = spec();
    expect(diffReplica(p, { ...observed(p), spec: 'old' })[0]!.hazards.map((h) => h.code)).toEqual(['RESTART']);
    const [gone] = diffReplica({ ...p, desired: null }, observed(p));
    expect(gone).toMatchObject({ action: 'delete', hazards: [], steps: [{ type: 'replica.remove', name: 'dbform-orders-replica', dataDir: '/var/lib/dbform/.replicas/orders' }] });
  });

  it('promotes a caught-up replica without a hazard, and one that is behind only with DATA_LOSS, saying by how much', () => {
    const p = promotion();
    const [ok] = diffReplica(p, observed(p));
    expect(ok).toMatchObject({ addon: 'reports', reason: 'promote the read replica of orders on db-2 to add-on reports (streaming, lag 0 MB)', hazards: [] });
    expect(ok!.steps[0]).toMatchObject({ type: 'replica.promote', source: 'orders', addon: 'reports', allowBehind: false });
    const [behind] = diffReplica(p, observed(p, standby({ paused: true, behindMb: 3, caughtUp: false })));
    expect(behind!.hazards).toHaveLength(1);
    expect(behind!.hazards[0]!.code).toBe('DATA_LOSS');
    expect(behind!.hazards[0]!.message).toContain('replay paused, lag 3 MB (not zero)');
    expect(behind!.steps[0]).toMatchObject({ allowBehind: true });
    // Not streaming: how far behind is unknown, so it is treated as behind.
    expect(diffReplica(p, observed(p, standby({ receiver: null })))[0]!.hazards.map((h) => h.code)).toEqual(['DATA_LOSS']);
    expect(diffReplica(p, null)).toEqual([]);
  });
});

describe('the replica list as docker and PostgreSQL answer it', () => {
  it('reads each replica, and its standby state only when it runs', () => {
    const inspect = JSON.stringify([
      { Name: '/dbform-orders-replica', Config: { Labels: { 'dbform.replica-of': 'orders', 'dbform.replica-spec': 'abc' } }, State: { Status: 'running', Running: true }, HostConfig: { Binds: ['/var/lib/dbform/.replicas/orders:/var/lib/dbform'] } },
      { Name: '/dbform-shop-replica', Config: { Labels: { 'dbform.replica-of': 'shop' } }, State: { Status: 'exited', Running: false }, HostConfig: { Binds: [] } },
    ]);
    const out = parseReplicaList(`${inspect}\n@@dbform-standby /dbform-orders-replica\n{"inRecovery" : true, "receiver" : "streaming", "paused" : false, "behind" : 1048577}\n`);
    expect(out.get('orders')).toEqual({
      source: 'orders', name: 'dbform-orders-replica', spec: 'abc', running: true, status: 'running', dataDir: '/var/lib/dbform/.replicas/orders',
      standby: { inRecovery: true, receiver: 'streaming', paused: false, behindMb: 2, caughtUp: false },
    });
    expect(out.get('shop')).toMatchObject({ running: false, standby: null });
  });
});

describe('the primary\'s side (replication kind)', () => {
  const withReplica = { ...desired(), readReplicas: [{ host: 'db-2', address: '10.77.0.12', slot: 'dbform_replica_db_2' }] };
  const catalog = (source: ObservedCatalog['replicaSource']): ObservedCatalog => ({ databaseExists: true, databaseOwner: 'shop', roles: [], defaultAcls: [], hba: null, serverCert: null, rootCert: null, extensions: [], replicaSource: source });

  it('creates the role and the slot of a new replica (a new instance too), then nothing', () => {
    const fresh = diffReplicationSource(withReplica, null);
    expect(fresh.map((c) => [c.address, c.action])).toEqual([['addon.shop.replication.role', 'create'], ['addon.shop.replication.slot.db-2', 'create']]);
    expect(fresh[0]!.steps[0]).toEqual({ type: 'replication.role', addon: 'shop', passwordKey: 'addon/shop/replication' });
    expect(fresh[1]!.steps[0]).toMatchObject({ type: 'sql', statements: ["SELECT pg_create_physical_replication_slot('dbform_replica_db_2', true)"] });
    const done = catalog({ role: { login: true, replication: true }, slots: [{ name: 'dbform_replica_db_2', active: true }] });
    expect(diffReplicationSource(withReplica, done)).toEqual([]);
  });

  it('drops the slot of a replica no longer declared, then the role once none is left', () => {
    const left = catalog({ role: { login: true, replication: true }, slots: [{ name: 'dbform_replica_db_2', active: true }] });
    const changes = diffReplicationSource(desired(), left);
    expect(changes.map((c) => [c.address, c.action, c.steps[0]!.type])).toEqual([
      ['addon.shop.replication.slot.dbform_replica_db_2', 'delete', 'replication.drop-slot'],
      ['addon.shop.replication.role', 'delete', 'sql'],
    ]);
    expect(changes.every((c) => c.hazards.length === 0)).toBe(true);
    expect(diffReplicationSource(desired(), catalog({ role: null, slots: [] }))).toEqual([]);
  });
});

describe('pg_hba.conf with read replicas (access kind)', () => {
  const withReplica = { ...desired(), readReplicas: [{ host: 'db-2', address: '10.77.0.12', slot: 'dbform_replica_db_2' }], hba: renderHba({ force: false, allowedIps: [], replicationFrom: ['10.77.0.12'] }) };
  const onHost = (hba: string): ObservedCatalog => ({ databaseExists: true, databaseOwner: 'shop', roles: [], defaultAcls: [], hba, serverCert: null, rootCert: null, extensions: [] });

  it('adds and removes a replica\'s replication line without a hazard: it is dbform\'s, not a hand edit', () => {
    const replicaLines = renderHba({ force: false, allowedIps: [], replicationFrom: ['10.77.0.12'] });
    const [added] = diffAccess(withReplica, onHost(renderHba({ force: false, allowedIps: [] })));
    expect(added).toMatchObject({ reason: 'pg_hba.conf rules differ from tls.force / allowedIps', hazards: [], after: { replication_from: ['10.77.0.12'] } });
    const [removed] = diffAccess(desired(), onHost(replicaLines));
    expect(removed).toMatchObject({ hazards: [], before: { replication_from: ['10.77.0.12'] } });
    expect(diffAccess(withReplica, onHost(replicaLines))).toEqual([]);
  });

  it('still flags a replication line added by hand', () => {
    const byHand = renderHba({ force: false, allowedIps: [] }).replace('host    all  all       all', 'hostssl replication  dbform_replication  0.0.0.0/0  trust\nhost    all  all       all');
    expect(diffAccess(desired(), onHost(byHand))[0]!.hazards.map((h) => h.code)).toEqual(['ACCESS_CHANGE']);
  });
});
