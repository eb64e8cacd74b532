import type { ResourceKind } from '../kind.js';
import { volumeExecutors } from './apply.js';
import { volumePlacements, type DesiredVolume } from './desired.js';
import { diffVolume, volumeWarnings } from './diff.js';
import { gatherVolume, type ObservedVolume } from './gather.js';

// The add-on's encrypted volume (encryptionAtRest): a LUKS2 file on the host, opened with its own key
// from the keystore and mounted on the add-on's data directory. Listed before the container in the
// registry: the volume must be there, open and mounted before PostgreSQL starts on it.
export const volumeKind: ResourceKind<DesiredVolume, ObservedVolume> = {
  kind: 'volume',
  scope: 'addon',
  reads: 'host',
  desired: volumePlacements,
  gather: gatherVolume,
  diff: diffVolume,
  warnings: volumeWarnings,
  executors: volumeExecutors,
  hazards: ['RESTART'],
};
