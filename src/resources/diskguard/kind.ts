import { singleInstancePlacements } from '../desired.js';
import type { ResourceKind } from '../kind.js';
import type { DesiredAddon } from '../model.js';
import { diskGuardExecutors } from './apply.js';
import { diffDiskGuard, diskGuardWarnings, type ObservedDiskGuard } from './diff.js';

// The add-on's disk-full guard: a program cron runs every minute on the host (dbform is not always running),
// which makes the add-on's managed roles read-only from 95 % of its disk and writable again below 90 %.
// Read: its files' hashes on the host, and which managed roles are read-only (from the catalog the instance
// kinds read anyway; unknown while the instance is not running).
export const diskGuardKind: ResourceKind<DesiredAddon, ObservedDiskGuard> = {
  kind: 'diskguard',
  scope: 'addon',
  reads: 'host',
  desired: singleInstancePlacements,
  async gather(read, placed) {
    const paths = Object.keys(placed.desired.diskGuard.files);
    const [hashes, instance] = await Promise.all([
      Promise.all(paths.map(async (p) => [p, await read.fileHash(p)] as const)),
      read.instance(placed.desired),
    ]);
    const readOnly = (instance.catalog?.roles ?? []).filter((r) => r.managed && r.readOnly).sort((a, b) => (a.name < b.name ? -1 : 1));
    return {
      files: Object.fromEntries(hashes),
      readOnly: readOnly.length ? { roles: readOnly.map((r) => r.name), note: readOnly.find((r) => r.note)?.note ?? null } : null,
    };
  },
  diff: (placed, observed) => (placed.desired ? diffDiskGuard(placed.desired, observed) : []),
  warnings: (placed, observed) => diskGuardWarnings(placed.desired, observed),
  executors: diskGuardExecutors,
  hazards: [],
};
