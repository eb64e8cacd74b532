import type { Config } from '../config/types.js';
import { clusterBackupsTaken } from '../resources/backups/placement.js';
import { backupsEnabled } from '../resources/backups/settings.js';
import { clusterPitrTaken } from '../resources/pitr/cluster.js';

// Settings the file format accepts (the SPEC defines them) but this version does not enforce yet.
// Saying so in every plan is the honest alternative to silently ignoring them.
export function notYetApplied(config: Config): string[] {
  const out: string[] = [];
  for (const a of config.addons) {
    if (a.plan.startsWith('postgresql-business-') && a.hosts.length === 1) {
      out.push(`add-on ${a.name}: business plans run as a single instance in this version (no replica, no gateway yet)`);
    } else if (a.hosts.length > 1) {
      const missing = [
        a.encryptionAtRest ? 'encryption at rest (its members are not on LUKS volumes)' : '',
        // Daily logical backups of a cluster are taken on its replica, into an S3 storage only (backups/placement.ts).
        backupsEnabled(a) && !clusterBackupsTaken(config, a) ? 'daily backups to a local directory storage (none is taken: use an s3 storage)' : '',
        // PITR of a cluster too (pitr/cluster.ts): its WAL and base backups go to an S3 storage only.
        a.backups.pitr && !clusterPitrTaken(config, a) ? 'PITR to a local directory storage (no base backup or WAL archive is taken: use an s3 storage)' : '',
      ].filter(Boolean);
      if (missing.length) out.push(`add-on ${a.name}: highly available on ${a.hosts.join(' and ')}; not yet in this version: ${missing.join(', ')}`);
    }
  }
  return out;
}
