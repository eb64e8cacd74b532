import type { ResourceKind } from '../kind.js';
import type { DesiredAddon } from '../model.js';
import { backupExecutors } from './apply.js';
import { diffBackups, type BackupFileHashes } from './diff.js';
import { backupPlacements, backupsAddress } from './placement.js';

// The add-on's scheduled backups: the backup program, its settings and the cron file on the host,
// compared by SHA-256 (the settings hold credentials). A highly available add-on has them on each member host
// (placement.ts), keyed "addon@host".
export const backupsKind: ResourceKind<DesiredAddon, BackupFileHashes> = {
  kind: 'backups',
  scope: 'addon',
  reads: 'host',
  desired: backupPlacements,
  async gather(read, placed) {
    const b = placed.desired.backups;
    const paths = [...Object.keys(b.files), b.cronPath];
    return Object.fromEntries(await Promise.all(paths.map(async (p) => [p, await read.fileHash(p)] as const)));
  },
  diff: (placed, files) => (placed.desired ? diffBackups(placed.desired, files, backupsAddress(placed)) : []),
  executors: backupExecutors,
  hazards: ['BACKUPS_DISABLED'],
};
