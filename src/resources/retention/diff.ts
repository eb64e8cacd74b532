import { keptBackups, type BackupRecord, type RetentionPolicy } from '../backups/retention.js';
import type { Change } from '../../plan/types.js';
import type { Placed } from '../kind.js';
import type { DesiredRetention } from './desired.js';

// Pure: the backups the add-on's retention prunes now. The host prunes after each backup under the policy
// installed there, so in steady state there is nothing to prune here; what remains is what a change of plan
// (a smaller retention) or a failed pruning on the host leaves. Deleting backups the policy in place still
// keeps is data loss, and says so; pruning under an unchanged policy is routine.

export interface ObservedRetention {
  /** null when the storage could not be listed: nothing is planned for it. */
  records: BackupRecord[] | null;
  /** The policy installed on the host (null: none yet). */
  installed: RetentionPolicy | null;
}

export function diffRetention(placed: Placed<DesiredRetention>, observed: ObservedRetention): Change[] {
  const d = placed.desired;
  const { records, installed } = observed;
  if (!records) return [];
  const opts = { now: d.now, timezone: d.timezone };
  const prune = keptBackups(records, d.policy, opts).prune;
  if (!prune.length) return [];
  const keptNow = installed ? keptBackups(records, installed, opts).keep : new Set(records.map((r) => r.id));
  const lost = prune.filter((p) => keptNow.has(p.id));
  const n = prune.length;
  return [
    {
      address: `addon.${placed.addon}.retention`,
      kind: 'retention',
      host: placed.host,
      addon: placed.addon,
      action: 'delete',
      reason: `${n} backup${n === 1 ? '' : 's'} past the retention of plan ${d.plan}: ${prune.map((p) => `${p.id} (${p.reason})`).join(', ')}`,
      before: { backups: records.length },
      after: { backups: records.length - n },
      hazards: lost.length
        ? [{ code: 'DATA_LOSS', message: `${lost.length} backup${lost.length === 1 ? '' : 's'} of ${placed.addon} that the retention in place keeps ${lost.length === 1 ? 'is' : 'are'} deleted: ${lost.map((p) => p.id).join(', ')}` }]
        : [],
      steps: [{ type: 'backups.prune', addon: placed.addon, ids: prune.map((p) => p.id), storage: d.storage as never }],
    },
  ];
}
