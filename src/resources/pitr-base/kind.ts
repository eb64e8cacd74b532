import { addonPlacements } from '../desired.js';
import type { ResourceKind } from '../kind.js';
import type { DesiredAddon } from '../model.js';
import { pitrBaseExecutors } from './apply.js';
import { diffPitrBase } from './diff.js';

// Point-in-time recovery, part two: the add-on's stanza and its first full base backup, once the container
// archives (after the container kind). Observed: the SHA-256 of the marker apply writes after both (null:
// not done yet).
export const pitrBaseKind: ResourceKind<DesiredAddon, string | null> = {
  kind: 'pitr-base',
  scope: 'addon',
  reads: 'host',
  desired: addonPlacements,
  gather: (read, placed) => (placed.desired.pitr.enabled ? read.fileHash(placed.desired.pitr.marker.path) : Promise.resolve(null)),
  diff: (placed, marker) => (placed.desired ? diffPitrBase(placed.desired, marker) : []),
  executors: pitrBaseExecutors,
  hazards: [],
};
