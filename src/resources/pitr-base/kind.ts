import { pitrPlacements } from '../pitr/cluster.js';
import type { ResourceKind } from '../kind.js';
import type { DesiredAddon } from '../model.js';
import { pitrBaseExecutors } from './apply.js';
import { type ObservedPitrBase, diffPitrBase, pitrBaseWarnings } from './diff.js';

// Point-in-time recovery, part two: the add-on's stanza and its first full base backup, once the container
// archives (after the container kind). Observed: the SHA-256 of the marker apply writes after both (null:
// not done yet), and whether archiving fails (from the instance's catalog read, when it runs): a warning.
export const pitrBaseKind: ResourceKind<DesiredAddon, ObservedPitrBase> = {
  kind: 'pitr-base',
  scope: 'addon',
  reads: 'host',
  desired: pitrPlacements,
  async gather(read, placed) {
    const p = placed.desired.pitr;
    if (!p.enabled) return { marker: null, archivingFailingSince: null };
    // A cluster's members: the marker only (their archiver is read by status, through each member).
    if (p.member) return { marker: await read.fileHash(p.marker.path), archivingFailingSince: null };
    const [marker, instance] = await Promise.all([read.fileHash(p.marker.path), read.instance(placed.desired)]);
    return { marker, archivingFailingSince: instance.archivingFailingSince ?? null };
  },
  diff: (placed, observed) => (placed.desired ? diffPitrBase(placed.desired, observed.marker) : []),
  warnings: (placed, observed) => pitrBaseWarnings(placed.desired, observed),
  executors: pitrBaseExecutors,
  hazards: [],
};
