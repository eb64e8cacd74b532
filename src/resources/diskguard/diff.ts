import type { Change } from '../../plan/types.js';
import type { DesiredAddon } from '../model.js';
import { WRITABLE_BELOW } from './settings.js';

/** What the guard kind observes: SHA-256 of each of its files (null: missing), and which managed roles are
 *  read-only now, with the guard's reason (a state that changes only when the guard switches, so the
 *  plan's fingerprint does not move with the disk's every megabyte). */
export interface ObservedDiskGuard {
  files: Record<string, string | null>;
  /** null: no managed role is read-only (or the instance could not be read: stopped, not created yet). */
  readOnly: { roles: string[]; note: string | null } | null;
}

// Pure. The guard's files are on the host exactly as rendered; the read-only mode itself is the guard's, not
// dbform's: it is shown (warnings), never planned away. Removing an add-on removes its guard with its data
// (container.remove).

export function diffDiskGuard(desired: DesiredAddon, observed: ObservedDiskGuard): Change[] {
  const g = desired.diskGuard;
  const stale = Object.keys(g.files).filter((path) => observed.files[path] !== g.files[path]!.sha256).sort();
  if (!stale.length) return [];
  // The program is shared by the host's add-ons: an add-on without its cron file has no guard yet.
  const fresh = !observed.files[g.cronPath];
  return [{
    address: `addon.${desired.name}.diskguard`,
    kind: 'diskguard',
    host: desired.host,
    addon: desired.name,
    action: fresh ? 'create' : 'update',
    reason: fresh ? `read-only mode of ${desired.name} when its disk is full` : `out of date on the host: ${stale.map((p) => p.split('/').pop()).join(', ')}`,
    before: fresh ? null : { up_to_date: Object.keys(g.files).length - stale.length, files: Object.keys(g.files).length },
    after: { ...g.summary },
    hazards: [],
    steps: [{ type: 'diskguard.install', addon: desired.name, files: Object.fromEntries(stale.map((p) => [p, { ...g.files[p]! }])) }],
  }];
}

const WARNING_START = (addon: string) => `add-on ${addon} is read-only because its disk is full`;

/** Whether a plan warning is the guard's (drift alerts on it as on late backups: a full disk needs a person). */
export function isDiskFullWarning(warning: string): boolean {
  return /^add-on [a-z][a-z0-9-]* is read-only because its disk is full/.test(warning);
}

/** The plan's (and drift's) word on an add-on the guard made read-only: nothing for apply to undo. */
export function diskGuardWarnings(desired: DesiredAddon, observed: ObservedDiskGuard): string[] {
  const ro = observed.readOnly;
  if (!ro) return [];
  const who = ro.roles.join(', ');
  return [
    `${WARNING_START(desired.name)} (${who}): ${ro.note ?? 'no reason recorded'}. ` +
      `It becomes writable by itself within a minute of going below ${WRITABLE_BELOW} %: delete data (as the superuser, or in a ` +
      `session after SET default_transaction_read_only = off) or raise its disk:`,
  ];
}
