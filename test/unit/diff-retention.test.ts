import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../src/resources/backups/retention.js';
import type { Placed } from '../../src/resources/kind.js';
import type { DesiredRetention } from '../../src/resources/retention/desired.js';
import { diffRetention } from '../../src/resources/retention/diff.js';

// Pruning is a planned change: what the add-on's retention deletes now, and whether that is data the
// policy in place on the host still keeps (a smaller retention) or routine (the host missed a pruning).

const STARTER = { daily: 7, weekly: 4, monthly: 0, manual: 10 };
const BUSINESS = { daily: 7, weekly: 8, monthly: 12, manual: 50 };

function manual(n: number): BackupRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const at = new Date(Date.UTC(2026, 10, 1, 12, i)).toISOString();
    return { id: `2026110112${String(i).padStart(2, '0')}00Z-manual-${i}`, addon: 'ledger', kind: 'manual', status: 'ok', verified: true, startedAt: at, endedAt: at };
  });
}

function placed(policy = STARTER, plan = 'postgresql-starter-512'): Placed<DesiredRetention> {
  return {
    key: 'ledger',
    host: 'db-1',
    addon: 'ledger',
    desired: {
      plan,
      policy,
      timezone: 'Europe/Paris',
      now: '2026-11-30T09:00:00.000Z',
      settingsPath: '/var/lib/dbform/.backup/ledger/backup.env',
      storage: { name: 'main', type: 's3', endpoint: 'https://s3.example', bucket: 'b', accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S' },
    },
  };
}

describe('retention diff', () => {
  it('plans nothing when the retention keeps every backup', () => {
    expect(diffRetention(placed(), { records: manual(10), installed: STARTER })).toEqual([]);
  });

  it('a smaller retention than the one in place deletes backups: DATA_LOSS, naming them', () => {
    const records = manual(12);
    const [change] = diffRetention(placed(STARTER), { records, installed: BUSINESS });
    expect(change!.address).toBe('addon.ledger.retention');
    expect(change!.action).toBe('delete');
    expect(change!.before).toEqual({ backups: 12 });
    expect(change!.after).toEqual({ backups: 10 });
    expect(change!.steps).toEqual([{ type: 'backups.prune', addon: 'ledger', ids: [records[0]!.id, records[1]!.id], storage: placed().desired.storage }]);
    expect(change!.hazards.map((h) => h.code)).toEqual(['DATA_LOSS']);
    expect(change!.hazards[0]!.message).toContain(records[0]!.id);
  });

  it('pruning under the policy in place (the host missed it) is routine: no hazard', () => {
    const [change] = diffRetention(placed(), { records: manual(11), installed: STARTER });
    expect(change!.steps[0]!.ids).toEqual([manual(11)[0]!.id]);
    expect(change!.hazards).toEqual([]);
  });

  it('without a policy on the host yet, any deletion is data loss', () => {
    const [change] = diffRetention(placed(), { records: manual(11), installed: null });
    expect(change!.hazards.map((h) => h.code)).toEqual(['DATA_LOSS']);
  });

  it('never deletes a backup still being written, nor plans anything when the storage could not be listed', () => {
    const records = manual(12);
    records[0] = { ...records[0]!, status: 'running', startedAt: '2026-11-30T08:59:00.000Z', endedAt: undefined };
    const [change] = diffRetention(placed(), { records, installed: STARTER });
    expect(change!.steps[0]!.ids).toEqual([records[1]!.id]);
    expect(diffRetention(placed(), { records: null, installed: STARTER })).toEqual([]);
  });
});
