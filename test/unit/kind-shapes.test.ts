import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { desiredFleet, gather } from '../../src/gather/gather.js';
import { buildPlan } from '../../src/plan/build.js';
import type { Change } from '../../src/plan/types.js';
import type { AnyKind, DesiredContext, Placed, ResourceKind } from '../../src/resources/kind.js';
import type { HostReader } from '../../src/resources/reader.js';

// The three shapes of resource the kind contract must carry (HA members, LUKS, etcd are built on them):
// a kind that belongs to a host, a fleet resource with members on several hosts, and an add-on that spans
// two hosts. Each goes through the real pipeline (desiredFleet -> gather -> buildPlan) with hosts answering
// from recorded observations (a file's hash per path), as a replayed gather would.

const YAML = `version: 1
hosts:
  db-1:
    transport: local
  db-2:
    transport: local
    dataDir: /srv/dbform
  db-3:
    transport: local
    dataDir: /opt/dbform
`;
const ctx: DesiredContext = { caPublicKeyPem: '', now: new Date('2026-11-30T00:00:00Z'), backupRecipient: () => '' };

/** A host answering from what was recorded on it: only file hashes. */
function recorded(config: Config, host: string, files: Record<string, string>): HostReader {
  const refuse = () => Promise.reject(new Error('not recorded'));
  return {
    host: config.hosts.find((h) => h.name === host)!,
    fileHash: async (path) => files[path] ?? null,
    fileExists: async (path) => path in files,
    containers: refuse,
    instance: refuse,
    secret: refuse,
    fileValues: refuse,
    backups: refuse,
    volume: refuse,
  };
}

/** A file with a wanted content hash: the one thing these sample kinds manage. */
function fileKind(kind: string, scope: 'host' | 'fleet' | 'addon', place: (config: Config) => Placed<string>[]): ResourceKind<string, string | null> {
  return {
    kind,
    scope,
    reads: 'host',
    desired: (config) => place(config),
    gather: (read, placed) => read.fileHash(`/etc/${kind}/${placed.key}`),
    diff(placed, observed): Change[] {
      if (placed.desired === null || observed === placed.desired) return [];
      return [
        {
          address: `${kind}.${placed.key}`,
          kind,
          host: placed.host,
          addon: placed.addon,
          action: observed === null ? 'create' : 'update',
          reason: `${placed.key} on ${placed.host}`,
          before: observed === null ? null : { sha: observed },
          after: { sha: placed.desired },
          hazards: [],
          steps: [{ type: `${kind}.write`, key: placed.key }],
        },
      ];
    },
    executors: {},
    hazards: [],
  };
}

const hostKind = fileKind('luks-capability', 'host', (c) => c.hosts.map((h) => ({ key: h.name, host: h.name, addon: '', desired: `cap-${h.name}` })));
const fleetKind = fileKind('etcd', 'fleet', (c) => c.hosts.map((h) => ({ key: `etcd@${h.name}`, host: h.name, addon: '', desired: 'members:db-1,db-2,db-3' })));
const spanningKind = fileKind('member', 'addon', () => [
  { key: 'orders@db-1', host: 'db-1', addon: 'orders', desired: 'primary' },
  { key: 'orders@db-2', host: 'db-2', addon: 'orders', desired: 'replica' },
]);

async function planOf(kinds: AnyKind[], recordings: Record<string, Record<string, string>>) {
  const config = loadConfig('databases.yaml', YAML);
  const desired = desiredFleet(config, ctx, kinds);
  const readers = new Map(Object.entries(recordings).map(([h, files]) => [h, recorded(config, h, files)]));
  const { observed } = await gather(desired, readers, kinds);
  return buildPlan(config, desired, observed, kinds);
}

describe('shapes of resource', () => {
  it('a host kind: one resource per host, each read and changed on its own host', async () => {
    const plan = await planOf([hostKind], {
      'db-1': { '/etc/luks-capability/db-1': 'cap-db-1' },
      'db-2': { '/etc/luks-capability/db-2': 'old' },
      'db-3': {},
    });
    expect(plan.changes.map((c) => [c.address, c.host, c.action])).toEqual([
      ['luks-capability.db-2', 'db-2', 'update'],
      ['luks-capability.db-3', 'db-3', 'create'],
    ]);
  });

  it('a fleet kind: members on several hosts; a host that was not read leaves out only its member', async () => {
    const plan = await planOf([fleetKind], { 'db-1': {}, 'db-3': { '/etc/etcd/etcd@db-3': 'members:db-1,db-2,db-3' } });
    expect(plan.changes.map((c) => [c.address, c.host])).toEqual([['etcd.etcd@db-1', 'db-1']]);
  });

  it('an add-on spanning two hosts: each member is read on its host and planned apart', async () => {
    const plan = await planOf([spanningKind, hostKind], {
      'db-1': { '/etc/member/orders@db-1': 'primary', '/etc/luks-capability/db-1': 'cap-db-1' },
      'db-2': { '/etc/luks-capability/db-2': 'cap-db-2' },
    });
    expect(plan.changes.map((c) => [c.address, c.addon, c.host, c.action])).toEqual([
      ['member.orders@db-2', 'orders', 'db-2', 'create'],
    ]);
    // The observed state, and so the fingerprint a saved plan is checked against, keeps the members apart.
    const again = await planOf([spanningKind], { 'db-1': { '/etc/member/orders@db-1': 'primary' }, 'db-2': { '/etc/member/orders@db-2': 'replica' } });
    expect(again.changes).toEqual([]);
    expect(again.observedFingerprint).not.toBe(plan.observedFingerprint);
  });
});
