import type { Change } from '../../plan/types.js';
import type { DesiredAddon } from '../model.js';

/** SHA-256 of each of the add-on's backup files on its host, by path (null: missing). */
export type BackupFileHashes = Record<string, string | null>;

// Pure: the backup program, the add-on's backup.env (and CA) and its cron file are on the host exactly
// as rendered (compared by SHA-256: their content holds credentials). A plan without backups (sandbox)
// removes the schedule, a hazard; backups already taken are never deleted here.

/** `address`: the add-on's backups (`addon.NAME.backups`), or one member's of a highly available add-on. */
export function diffBackups(desired: DesiredAddon, files: BackupFileHashes, address = `addon.${desired.name}.backups`): Change[] {
  const b = desired.backups;
  const base = { address, kind: 'backups', host: desired.host, addon: desired.name };
  if (!b.enabled) {
    if (!files[b.cronPath]) return [];
    return [{
      ...base,
      action: 'delete',
      reason: `plan ${desired.plan} takes no backups`,
      before: { schedule: 'installed' },
      after: null,
      hazards: [{ code: 'BACKUPS_DISABLED', message: `no more scheduled backups of ${desired.name}; the ones already taken are kept` }],
      steps: [{ type: 'backups.remove', addon: desired.name, cronPath: b.cronPath, confDir: b.confDir }],
    }];
  }
  const stale = Object.keys(b.files)
    .filter((path) => files[path] !== b.files[path]!.sha256)
    .sort();
  if (!stale.length) return [];
  const fresh = stale.length === Object.keys(b.files).length && !files[b.cronPath];
  return [{
    ...base,
    action: fresh ? 'create' : 'update',
    reason: fresh ? `daily backups of ${desired.name}` : `out of date on the host: ${stale.map((p) => p.split('/').pop()).join(', ')}`,
    before: fresh ? null : { up_to_date: Object.keys(b.files).length - stale.length, files: Object.keys(b.files).length },
    after: { ...b.summary!, files: Object.keys(b.files).length },
    hazards: [],
    // Contents carry `{{env:NAME}}` where credentials go (filled in at apply); the hashes pin what was planned.
    steps: [{ type: 'backups.install', addon: desired.name, files: Object.fromEntries(stale.map((p) => [p, { ...b.files[p]! }])) }],
  }];
}
