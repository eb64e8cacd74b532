import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { desiredFleet, gather } from '../../src/gather/gather.js';
import { buildPlan } from '../../src/plan/build.js';
import { transactionUnits } from '../../src/apply/apply.js';
import type { DesiredContext } from '../../src/resources/kind.js';
import type { ObservedContainer } from '../../src/resources/model.js';
import type { HostReader } from '../../src/resources/reader.js';
import { KINDS } from '../../src/resources/registry.js';
import { parseVolumeFiles, volumeFilesCommand, type VolumeProbe } from '../../src/resources/volume/probe.js';

// Removing an encrypted add-on from the file: its container and its volume are both deleted, the container
// first (it holds the volume's mount). Through the real pipeline (desired -> gather -> plan) with a host
// answering plain data: the container, volume files and probes a host with a removed add-on shows.

const YAML = `version: 1
hosts:
  db-1:
    address: 10.77.0.11
    user: root
    hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl
    identityFile: ~/.ssh/id_ed25519
    dataDir: /srv/dbform
addons:
  kept:
    plan: postgresql-sandbox
    port: 31001
    encryptionAtRest: true
`;
const ctx: DesiredContext = { caPublicKeyPem: '', now: new Date('2026-11-30T00:00:00Z'), backupRecipient: () => '' };

const orphan: ObservedContainer = {
  addon: 'gone', name: 'dbform-gone', image: 'dbform-postgresql:15', memoryMb: 256, port: 31002, settings: {}, status: 'running', running: true, dataDir: '/srv/dbform/gone',
};
const OPEN: VolumeProbe = { deviceMapper: true, cryptsetup: true, fileBytes: (256 + 16) * 1024 * 1024, header: { version: 2, cipher: 'aes-xts-plain64', keyBits: 512, hash: 'sha256', label: 'dbform-key-v1', keySlots: 1 }, open: true, mountedFrom: '/dev/mapper/dbform-gone', pgdata: true };

/** db-1 with the kept add-on's volume and the removed add-on's container and volume still there. */
function host(config: ReturnType<typeof loadConfig>, volumeFiles: string[]): HostReader & { probed: string[] } {
  const probed: string[] = [];
  return Object.assign(
    {
      host: config.hosts[0]!,
      containers: async () => new Map([['gone', orphan]]),
      fileHash: async () => null,
      fileExists: async () => false,
      fileValues: async () => null,
      instance: async () => ({ state: 'absent' as const, catalog: null }),
      secret: async () => undefined,
      backups: async () => [],
      volumeFiles: async () => volumeFiles,
      volume: async (where: { file: string }) => {
        probed.push(where.file);
        return where.file.endsWith('/gone.luks') ? OPEN : { ...OPEN, fileBytes: null, header: null, open: false, mountedFrom: null, pgdata: false };
      },
      haContainers: async () => new Map(),
    },
    { probed },
  );
}

async function planFor(volumeFiles: string[]) {
  const config = loadConfig('databases.yaml', YAML);
  const desired = desiredFleet(config, ctx);
  const read = host(config, volumeFiles);
  const { observed, hostErrors } = await gather(desired, new Map([['db-1', read]]));
  expect([...hostErrors.values()]).toEqual([]);
  return { plan: buildPlan(config, desired, observed), probed: read.probed };
}

describe('removing an encrypted add-on', () => {
  it('plans the container removal, then the volume removal (DATA_LOSS), each a unit of its own', async () => {
    const { plan } = await planFor(['gone', 'kept']);
    const gone = plan.changes.filter((c) => c.addon === 'gone');
    expect(gone.map((c) => [c.address, c.kind, c.action])).toEqual([
      ['addon.gone.container', 'container', 'delete'],
      ['addon.gone.volume', 'volume-removal', 'delete'],
    ]);
    const volume = gone[1]!;
    expect(volume.hazards).toEqual([{ code: 'DATA_LOSS', message: 'the encrypted volume of gone (/srv/dbform/.volumes/gone.luks, 256 MB) is closed and deleted with its key: what is on it cannot be recovered; backups are kept' }]);
    expect(volume.before).toMatchObject({ size_mb: 256, luks: 2, open: true, mounted: true });
    expect(volume.after).toBeNull();
    expect(volume.steps).toEqual([{ type: 'volume.remove', addon: 'gone', file: '/srv/dbform/.volumes/gone.luks', mapper: 'dbform-gone', mountPoint: '/srv/dbform/gone', keyName: 'volume/gone/key', nextKeyName: 'volume/gone/key.next', container: 'dbform-gone' }]);
    // apply runs an add-on's units in plan order and skips the rest after a failure: the volume is never
    // closed while the container that holds its mount could not be removed.
    expect(transactionUnits(gone).map((u) => u.map((c) => c.kind))).toEqual([['container'], ['volume-removal']]);
    expect(KINDS.findIndex((k) => k.kind === 'container')).toBeLessThan(KINDS.findIndex((k) => k.kind === 'volume-removal'));
  });

  it('leaves the volume of a declared add-on alone, and reads nothing when no volume is left', async () => {
    const { plan } = await planFor(['kept']);
    expect(plan.changes.filter((c) => c.kind === 'volume-removal')).toEqual([]);
    const none = await planFor([]);
    expect(none.plan.changes.filter((c) => c.kind === 'volume-removal')).toEqual([]);
    expect(none.probed.filter((f) => f.includes('gone'))).toEqual([]);
  });

  it('lists only volume files named as dbform names them', () => {
    expect(parseVolumeFiles('shop.luks\nb-2.luks\nshop.luks.new\nNotMine.luks\n../x.luks\n')).toEqual(['b-2', 'shop']);
    expect(volumeFilesCommand('/srv/dbform')).toContain('for f in /srv/dbform/.volumes/*.luks; do');
  });
});
