import { readFileSync } from 'node:fs';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import type { AddonConfig } from '../../src/config/types.js';
import { lookupPlan } from '../../src/config/tiers.js';
import type { BackupManifest } from '../../src/resources/backups/manifest.js';
import { type Answer, fleetStatus, type Readings } from '../../src/status/assemble.js';
import { catalogFigures } from '../../src/status/catalog.js';
import { type ProbeAnswer, parseProbe } from '../../src/status/probe.js';
import { prometheusText } from '../../src/status/prometheus.js';
import { statusText } from '../../src/status/text.js';

// Recorded answers (probe, catalog row, backup manifests) -> the fleet's status, its text and its metrics.

const recorded = (name: string) => readFileSync(new URL(`./recorded/status/${name}`, import.meta.url), 'utf8');
const pos = { file: 'databases.yaml', line: 1, col: 1 };

function addon(name: string, host: string, plan: string, pitr: boolean): AddonConfig {
  return { name, plan, version: '15', host, hosts: [host], port: 31001, tls: { force: false }, encryptionAtRest: false, encryptionKeyVersion: 1, diskMb: lookupPlan(plan)!.diskMb, allowedIps: [], backups: { pitr }, extensions: [], users: [], maintenance: {}, logs: { slowQueryMs: 5000 }, pos };
}

const shop = addon('shop', 'db-1', 'postgresql-starter-256', true);
const other = addon('other', 'db-2', 'postgresql-sandbox', false);
const catalogRow = {
  connections: 3,
  max_connections: 51,
  server_version: '15.10',
  in_recovery: false,
  data_size: '7864320',
  archiver: '{"archived_count":4,"last_archived_wal":"000000010000000000000004","last_archived_time":"2026-11-30T12:05:00+00:00","failed_count":0,"last_failed_wal":null,"last_failed_time":null}',
};
const manifests: BackupManifest[] = [
  { id: '20261130-1000-failed', addon: 'shop', kind: 'manual', status: 'failed', startedAt: '2026-11-30T10:00:00Z' },
  { id: '20261130-0900-daily', addon: 'shop', kind: 'daily', status: 'ok', startedAt: '2026-11-30T09:00:00Z', size: 1234567 },
  { id: '20261129-0900-daily', addon: 'shop', kind: 'daily', status: 'ok', startedAt: '2026-11-29T09:00:00Z', size: 1200000 },
];

function readings(overrides: Partial<Readings> = {}): Readings {
  return {
    at: new Date('2026-11-30T12:10:00Z'),
    probes: new Map([['db-1', { ok: parseProbe(recorded('probe-cgroup-v1.txt'), [{ name: 'shop', dataDir: '/var/lib/dbform/shop', pitr: true }]) }], ['db-2', { error: 'does not answer on port 22' }]]),
    catalogs: new Map([['shop', { ok: catalogFigures(catalogRow) }]]),
    backups: new Map([['shop', { ok: manifests }]]),
    drift: new Map([['shop', { changes: 0, reasons: [], error: null }], ['other', { changes: null, reasons: [], error: 'host db-2 was not read' }]]),
    ...overrides,
  };
}

describe('fleetStatus', () => {
  const s = fleetStatus([other, shop], readings());
  const a = s.addons.find((x) => x.addon === 'shop')!;

  it('a running starter add-on: every figure, from the probe, the catalog and the storage', () => {
    expect(a).toMatchObject({ plan: 'postgresql-starter-256', host: 'db-1', serverVersion: '15.10', state: 'running', errors: [] });
    expect(a.members).toEqual([
      {
        name: 'dbform-shop',
        host: 'db-1',
        role: 'primary',
        state: 'running',
        startedAt: '2026-11-30T12:01:02.123Z',
        cpuPercent: 25,
        cpuSecondsTotal: 5.0625,
        memory: { current: 40960000, peak: 90112000, limit: 268435456, free: 268435456 - 40960000 },
        swap: { current: 0, limit: 268435456 },
        connections: { open: 3, max: 51 },
        dataSize: 7864320,
        diskSize: 48234496,
        disk: { quota: 2048 * 1024 * 1024, filesystemSize: 52521566208, filesystemFree: 31457280000 }, // starter-256: 2 GB
        diskGuard: null, // this recording has no run of the guard yet
        replicationLagSeconds: null,
        replicationLagBytes: null,
        readReplica: false,
      },
    ]);
    expect(a.gateways).toEqual([]); // a single instance has no gateway
    expect(a.backups).toEqual({ lastGood: { id: '20261130-0900-daily', startedAt: '2026-11-30T09:00:00Z', size: 1234567 }, count: 3, error: null });
    // The window: end of the oldest full base backup to the last WAL pg_stat_archiver saw archived.
    expect(a.pitr).toEqual({
      window: { earliest: '2026-11-30T12:02:15.000Z', latest: '2026-11-30T12:05:00.000Z' },
      status: 'ok',
      lastArchivedAt: '2026-11-30T12:05:00.000Z',
      failedCount: 0,
      error: null,
    });
    expect(a.drift).toEqual({ changes: 0, reasons: [], error: null });
  });

  it('an add-on on a host that did not answer: unknown state, null figures, the reason', () => {
    const o = s.addons.find((x) => x.addon === 'other')!;
    expect(o.state).toBe('unknown');
    expect(o.members[0]).toMatchObject({ cpuPercent: null, memory: { current: null, peak: null, limit: null, free: null }, connections: { open: null, max: null }, dataSize: null });
    expect(o.errors).toEqual(['host db-2: does not answer on port 22']);
    expect(o.backups).toBeNull(); // sandbox: no backups
    expect(s.hostErrors).toEqual({ 'db-2': 'does not answer on port 22' });
  });

  it('a stopped container: its limit is known, its usage is not; no drift check leaves drift null', () => {
    const stopped = addon('old', 'db-1', 'postgresql-starter-256', false);
    const o = fleetStatus([stopped], readings({ drift: null })).addons[0]!;
    expect(o.state).toBe('stopped');
    expect(o.members[0]!.memory).toEqual({ current: null, peak: null, limit: 268435456, free: null });
    expect(o.members[0]!.cpuPercent).toBeNull();
    expect(o.drift).toBeNull();
    expect(o.backups).toEqual({ lastGood: null, count: 0, error: 'not listed in this sample' }); // backups on, not read
  });

  it('a declared add-on not created yet is absent', () => {
    expect(fleetStatus([addon('new', 'db-1', 'postgresql-sandbox', false)], readings()).addons[0]!.state).toBe('absent');
  });

  it('text: one block per add-on with every figure, "-" where unknown, the host error at the end', () => {
    const text = statusText(s, 'UTC');
    expect(text).toContain('shop  postgresql-starter-256 on db-1, PostgreSQL 15.10: running');
    expect(text).toContain('    memory       39.1 MB now, 85.9 MB highest, 256.0 MB limit, 216.9 MB free');
    expect(text).toContain('    connections  3 open of 51');
    expect(text).toContain('    cpu          25 %');
    expect(text).toContain('  last backup    20261130-0900-daily, 2026-11-30 09:00 UTC (3 h 10 min ago), 1.2 MB (3 stored)');
    expect(text).toContain('  PITR window    2026-11-30 12:02:15 to 2026-11-30 12:05:00 UTC');
    expect(text).toContain('  drift          none: matches the file');
    expect(text).toContain('    cpu          -');
    expect(text.trimEnd().split('\n').pop()).toBe('Error: host db-2: does not answer on port 22');
  });

  it('metrics: valid Prometheus text format (parsed by a real parser), base units, labels addon/host/member', () => {
    const text = prometheusText(s);
    const families = parsePrometheusTextFormat(text);
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('dbform_addon_memory_bytes')).toEqual({
      name: 'dbform_addon_memory_bytes',
      help: 'Memory in use by the member\'s container, less the inactive file cache.',
      type: 'GAUGE',
      metrics: [{ labels: { addon: 'shop', host: 'db-1', member: 'dbform-shop' }, value: '40960000' }],
    });
    expect(byName.get('dbform_addon_cpu_seconds_total')!.type).toBe('COUNTER');
    expect(byName.get('dbform_addon_cpu_ratio')!.metrics[0]!.value).toBe('0.25');
    expect(byName.get('dbform_addon_info')!.metrics.map((m) => m.labels)).toEqual([
      { addon: 'other', host: 'db-2', plan: 'postgresql-sandbox', version: '15' },
      { addon: 'shop', host: 'db-1', plan: 'postgresql-starter-256', version: '15.10' },
    ]);
    expect(byName.get('dbform_host_up')!.metrics).toEqual([{ labels: { host: 'db-1' }, value: '1' }, { labels: { host: 'db-2' }, value: '0' }]);
    expect(byName.get('dbform_addon_last_backup_timestamp_seconds')!.metrics[0]!.value).toBe(String(Date.parse('2026-11-30T09:00:00Z') / 1000));
    // Unknown figures are absent, not zero: the unreachable add-on has no memory sample; no lag for a primary.
    expect(byName.get('dbform_addon_memory_bytes')!.metrics.some((m) => m.labels!.addon === 'other')).toBe(false);
    expect(byName.has('dbform_addon_replication_lag_seconds')).toBe(false);
    for (const f of families) expect(f.name).toMatch(/^dbform_[a-z_]+$/);
    expect(text.split('\n').filter((l) => l.startsWith('# TYPE')).length).toBe(families.length);
  });

  it('metrics escape label values', () => {
    const odd = { ...fleetStatus([shop], readings()), hostErrors: {} };
    odd.addons[0]!.plan = 'a"b\\c\nd';
    const info = parsePrometheusTextFormat(prometheusText(odd)).find((f) => f.name === 'dbform_addon_info')!;
    expect(info.metrics[0]!.labels!.plan).toBe('a"b\\c\nd');
  });
});

describe('fleetStatus of a highly available add-on', () => {
  const orders: AddonConfig = { ...addon('shop', 'db-1', 'postgresql-business-512', true), hosts: ['db-1', 'db-2'] };
  const probe = { ok: parseProbe(recorded('probe-cgroup-v1.txt'), [{ name: 'shop', dataDir: '/var/lib/dbform/shop', pitr: false }]) };
  const replicaRow = { ...catalogRow, connections: 0, in_recovery: true, archiver: null, lag_seconds: 0.25 };
  const r = readings({
    probes: new Map([['db-1', probe], ['db-2', probe]]),
    catalogs: new Map([['shop@db-1', { ok: catalogFigures({ ...catalogRow, lag_seconds: null }) }], ['shop@db-2', { ok: catalogFigures(replicaRow) }]]),
  });

  it('one member per host, each with its role, the replica with its delay', () => {
    const a = fleetStatus([orders], r).addons[0]!;
    expect(a.state).toBe('running');
    expect(a.members.map((m) => [m.name, m.host, m.role, m.state, m.connections.open, m.replicationLagSeconds])).toEqual([
      ['dbform-shop', 'db-1', 'primary', 'running', 3, null],
      ['dbform-shop', 'db-2', 'replica', 'running', 0, 0.25],
    ]);
    expect(a.serverVersion).toBe('15.10');
    // PITR of a cluster: pgbackrest info in the primary's container (its probe) and the primary's archiver.
    expect(a.pitr).toEqual({
      window: { earliest: '2026-11-30T12:02:15.000Z', latest: '2026-11-30T12:05:00.000Z' },
      status: 'ok',
      lastArchivedAt: '2026-11-30T12:05:00.000Z',
      failedCount: 0,
      error: null,
    });
    expect(a.errors).toEqual([]);
  });

  it('PITR of a cluster not read on its primary (stopped, or a local directory storage: none taken) says so', () => {
    const noInfo = { ok: { ...probe.ok, pitrInfo: new Map() } };
    const a = fleetStatus([orders], { ...r, probes: new Map([['db-1', noInfo], ['db-2', noInfo]]) }).addons[0]!;
    expect(a.pitr).toMatchObject({ window: null, status: 'not read (its primary is not running, or its storage is a local directory: no PITR of a cluster is taken there)' });
  });

  it('runs while one member does; the other host\'s error names it', () => {
    const down: Readings = { ...r, probes: new Map<string, Answer<ProbeAnswer>>([['db-1', probe], ['db-2', { error: 'does not answer on port 22' }]]), catalogs: new Map([['shop@db-1', r.catalogs.get('shop@db-1')!]]) };
    const a = fleetStatus([orders], down).addons[0]!;
    expect(a.state).toBe('running');
    expect(a.members.map((m) => [m.host, m.state])).toEqual([['db-1', 'running'], ['db-2', 'unknown']]);
    expect(a.errors).toEqual(['host db-2: does not answer on port 22']);
    expect(statusText(fleetStatus([orders], r), 'UTC')).toContain('dbform-shop (replica) on db-2: running');
  });

  it('metrics: one series per member, told apart by host', () => {
    const families = parsePrometheusTextFormat(prometheusText(fleetStatus([orders], r)));
    const memory = families.find((f) => f.name === 'dbform_addon_memory_bytes')!;
    expect(new Set(memory.metrics.map((m) => m.labels!.host))).toEqual(new Set(['db-1', 'db-2']));
  });
});

describe('fleetStatus of a cluster\'s gateways and of read replicas', () => {
  const recordedProbe = parseProbe(recorded('probe-ha-gateway-replica.txt'), [
    { name: 'orders', dataDir: '/var/lib/dbform/orders', pitr: false },
    { name: 'shop/replica', dataDir: '/var/lib/dbform/.replicas/shop', pitr: false, guard: false },
  ]);
  const orders: AddonConfig = { ...addon('orders', 'db-1', 'postgresql-business-512', true), hosts: ['db-1', 'db-2'] };
  const shopWithReplica: AddonConfig = { ...shop, readReplicas: ['db-2'] };
  const replicaRow = { ...catalogRow, connections: 1, in_recovery: true, archiver: null, lag_seconds: 1.5, lag_bytes: '16384' };
  const r = readings({
    probes: new Map([['db-1', { ok: parseProbe(recorded('probe-cgroup-v1.txt'), [{ name: 'shop', dataDir: '/var/lib/dbform/shop', pitr: true }]) }], ['db-2', { ok: recordedProbe }]]),
    catalogs: new Map([['shop', { ok: catalogFigures(catalogRow) }], ['shop/replica@db-2', { ok: catalogFigures(replicaRow) }]]),
  });
  const s = fleetStatus([shopWithReplica], r);
  const a = s.addons[0]!;

  it('a read replica is a row of its add-on, read on its own host: role replica, its container, lag in seconds and bytes', () => {
    expect(a.members.map((m) => [m.name, m.host, m.role, m.readReplica, m.state])).toEqual([
      ['dbform-shop', 'db-1', 'primary', false, 'running'],
      ['dbform-shop-replica', 'db-2', 'replica', true, 'running'],
    ]);
    expect(a.members[1]).toMatchObject({
      cpuPercent: 5, // 10 ms of CPU over 200 ms
      memory: { current: 50000000, peak: 73400320, limit: 268435456, free: 268435456 - 50000000 },
      connections: { open: 1, max: 51 },
      diskSize: 30000000,
      disk: { quota: null, filesystemSize: 52521566208, filesystemFree: 31457280000 },
      diskGuard: null,
      replicationLagSeconds: 1.5,
      replicationLagBytes: 16384,
    });
    expect(a.members[0]!.replicationLagBytes).toBeNull();
    expect(a.state).toBe('running');
    expect(a.errors).toEqual([]);
  });

  it('a replica that cannot be read says why, on which host; one whose catalog is missing has null figures', () => {
    const failing = fleetStatus([shopWithReplica], { ...r, catalogs: new Map([['shop', { ok: catalogFigures(catalogRow) }], ['shop/replica@db-2', { error: 'password authentication failed' }]]) }).addons[0]!;
    expect(failing.errors).toEqual(['read replica on db-2: password authentication failed']);
    expect(failing.members[1]).toMatchObject({ role: 'replica', connections: { open: null, max: null }, replicationLagSeconds: null, replicationLagBytes: null });
    const absent = fleetStatus([{ ...shop, readReplicas: ['db-3'] }], r).addons[0]!;
    expect(absent.members[1]).toMatchObject({ host: 'db-3', state: 'unknown' });
  });

  it('a cluster has one gateway per host: its CPU and memory, no limit, never a member row', () => {
    const c = fleetStatus([orders], readings({ probes: new Map([['db-1', { ok: recordedProbe }], ['db-2', { error: 'does not answer on port 22' }]]), catalogs: new Map() })).addons[0]!;
    expect(c.members.map((m) => m.host)).toEqual(['db-1', 'db-2']);
    expect(c.gateways).toEqual([
      { name: 'dbform-orders-gateway', host: 'db-1', state: 'running', startedAt: '2026-11-30T12:01:05.000Z', cpuPercent: 1, cpuSecondsTotal: 0.302, memory: { current: 8388608, peak: 12582912, limit: null } },
      { name: 'dbform-orders-gateway', host: 'db-2', state: 'unknown', startedAt: null, cpuPercent: null, cpuSecondsTotal: null, memory: { current: null, peak: null, limit: null } },
    ]);
  });

  it('text: the read replica and the gateways, each with its figures', () => {
    const text = statusText(s, 'UTC');
    expect(text).toContain('shop  postgresql-starter-256 on db-1, PostgreSQL 15.10: running');
    expect(text).toContain('  dbform-shop-replica (read replica) on db-2: running');
    expect(text).toContain('    replication  1.5 s behind, 16.0 KB of WAL not replayed');
    const c = fleetStatus([orders], readings({ probes: new Map([['db-1', { ok: recordedProbe }]]), catalogs: new Map() }));
    expect(statusText(c, 'UTC')).toContain('  dbform-orders-gateway (gateway) on db-1: running\n    cpu          1 %\n    memory       8.0 MB now, 12.0 MB highest, no limit');
  });

  it('metrics: the replica as a member with its lag in bytes; the gateways in the same families with component="gateway"', () => {
    const families = new Map(parsePrometheusTextFormat(prometheusText(s)).map((f) => [f.name, f]));
    expect(families.get('dbform_addon_replication_lag_bytes')!.metrics).toEqual([{ labels: { addon: 'shop', host: 'db-2', member: 'dbform-shop-replica' }, value: '16384' }]);
    expect(families.get('dbform_addon_replication_lag_seconds')!.metrics).toEqual([{ labels: { addon: 'shop', host: 'db-2', member: 'dbform-shop-replica' }, value: '1.5' }]);
    expect(families.get('dbform_host_up')!.metrics.map((m) => m.labels!.host)).toEqual(['db-1', 'db-2']);
    const c = fleetStatus([orders], readings({ probes: new Map([['db-1', { ok: recordedProbe }]]), catalogs: new Map() }));
    const cf = new Map(parsePrometheusTextFormat(prometheusText(c)).map((f) => [f.name, f]));
    const gw = { addon: 'orders', host: 'db-1', member: 'dbform-orders-gateway', component: 'gateway' };
    expect(cf.get('dbform_addon_memory_bytes')!.metrics).toContainEqual({ labels: gw, value: '8388608' });
    expect(cf.get('dbform_addon_cpu_ratio')!.metrics).toContainEqual({ labels: gw, value: '0.01' });
    expect(cf.get('dbform_addon_up')!.metrics).toContainEqual({ labels: gw, value: '1' });
    // No limit on a gateway: absent, not 0; and no catalog figure for it.
    expect(cf.get('dbform_addon_memory_limit_bytes')!.metrics.some((m) => m.labels!.component === 'gateway')).toBe(false);
    expect(cf.get('dbform_addon_connections_max')?.metrics.some((m) => m.labels!.component === 'gateway') ?? false).toBe(false);
  });
});
