import type { RetentionPolicy } from '../backups/retention.js';
import type { ResourceKind } from '../kind.js';
import { retentionExecutors } from './apply.js';
import { desiredRetention, type DesiredRetention } from './desired.js';
import { diffRetention, type ObservedRetention } from './diff.js';

// The backups an add-on's plan keeps. Read: the backup records in the storage, and the policy installed on
// the host (the RETENTION_* lines of its backup settings, nothing else of that file).
const KEYS = ['RETENTION_DAILY', 'RETENTION_WEEKLY', 'RETENTION_MONTHLY', 'RETENTION_MANUAL'] as const;

function installedPolicy(values: Record<string, string> | null): RetentionPolicy | null {
  if (!values || !KEYS.every((k) => /^\d+$/.test(values[k] ?? ''))) return null;
  const n = (k: (typeof KEYS)[number]) => Number(values[k]);
  return { daily: n('RETENTION_DAILY'), weekly: n('RETENTION_WEEKLY'), monthly: n('RETENTION_MONTHLY'), manual: n('RETENTION_MANUAL') };
}

export const retentionKind: ResourceKind<DesiredRetention, ObservedRetention> = {
  kind: 'retention',
  scope: 'addon',
  reads: 'host',
  desired: desiredRetention,
  async gather(read, placed) {
    const [records, values] = await Promise.all([
      // A storage that cannot be listed plans no pruning; `dbform drift` reports backups that stop arriving.
      read.backups(placed.addon).catch(() => null),
      read.fileValues(placed.desired.settingsPath, KEYS),
    ]);
    return { records, installed: installedPolicy(values) };
  },
  diff: (placed, observed) => (placed.desired ? diffRetention({ ...placed, desired: placed.desired }, observed) : []),
  executors: retentionExecutors,
  hazards: ['DATA_LOSS'],
};
