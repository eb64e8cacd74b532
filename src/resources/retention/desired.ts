import type { RetentionPolicy } from '../backups/retention.js';
import { backupConfDir, backupsEnabled, storageOf } from '../backups/settings.js';
import { clusterBackupsTaken } from '../backups/placement.js';
import { lookupPlan } from '../../config/tiers.js';
import type { Config, StorageConfig } from '../../config/types.js';
import { dirname, resolve } from 'node:path';
import type { DesiredContext, Placed } from '../kind.js';

// What an add-on's plan keeps of its backups, and where they are. No secret: the storage's credentials are
// named by their environment variables, read where the store is opened.

/** A storage as a plan step carries it: its declaration without position, with an absolute CA file. */
export type StorageRef = Omit<StorageConfig, 'pos'>;

export interface DesiredRetention {
  plan: string;
  policy: RetentionPolicy;
  timezone: string;
  /** The instant retention is judged at: when the plan is made. */
  now: string;
  /** The add-on's backup settings on its host: the policy in place is read there (RETENTION_* lines only). */
  settingsPath: string;
  storage: StorageRef;
}

export function storageRef(config: Config, storage: StorageConfig): StorageRef {
  const { pos: _pos, ...rest } = storage;
  return { ...rest, ...(storage.caFile ? { caFile: resolve(dirname(config.file), storage.caFile) } : {}) };
}

export function desiredRetention(config: Config, ctx: DesiredContext): Placed<DesiredRetention>[] {
  // A highly available add-on's backups (S3 only, see backups/placement.ts) are judged once, on its preferred
  // host, whose backup settings carry the same policy as the other member's.
  return config.addons.filter((a) => (a.hosts.length === 1 ? backupsEnabled(a) : clusterBackupsTaken(config, a))).map((a) => {
    const host = config.hosts.find((h) => h.name === a.host)!;
    return {
      key: a.name,
      host: a.host,
      addon: a.name,
      desired: {
        plan: a.plan,
        policy: lookupPlan(a.plan)!.retention,
        timezone: config.defaults.timezone,
        now: ctx.now.toISOString(),
        settingsPath: `${backupConfDir(host.dataDir, a.name)}/backup.env`,
        storage: storageRef(config, storageOf(config, a)),
      },
    };
  });
}
