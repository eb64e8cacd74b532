import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BackupRecord, keptBackups } from '../../src/backups/retention.js';

// host/dbform-prune.pl is retention as cron runs it on a host, after each backup. It must decide exactly
// what src/backups/retention.ts decides: both run on the same random histories here.

const PRUNE = fileURLToPath(new URL('../../host/dbform-prune.pl', import.meta.url));
const ZONES = ['Europe/Paris', 'America/New_York', 'UTC', 'Australia/Lord_Howe'];
const START = Date.parse('2025-10-01T00:00:00Z');
const SPAN = 500 * 86_400_000;

function hostPrune(records: BackupRecord[], policy: { daily: number; weekly: number; monthly: number; manual: number }, zone: string, now: number): string[] {
  const input = records.map((r) => JSON.stringify({ id: r.id, addon: 'shop', kind: r.kind, status: r.status, startedAt: r.startedAt, ...(r.status === 'ok' ? { verified: r.verified } : {}) })).join('\n');
  const r = spawnSync('perl', [PRUNE], {
    input: input + '\n',
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      TIMEZONE: zone,
      NOW: String(Math.floor(now / 1000)),
      RETENTION_DAILY: String(policy.daily),
      RETENTION_WEEKLY: String(policy.weekly),
      RETENTION_MONTHLY: String(policy.monthly),
      RETENTION_MANUAL: String(policy.manual),
    },
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

const record = fc.record({
  offset: fc.integer({ min: 0, max: SPAN / 1000 }),
  kind: fc.constantFrom<'daily' | 'manual'>('daily', 'daily', 'manual'),
  status: fc.constantFrom<'ok' | 'failed' | 'running'>('ok', 'ok', 'ok', 'failed', 'running'),
  verified: fc.boolean(),
});

describe('retention on the host (perl) agrees with dbform (TypeScript)', () => {
  it('on random histories, zones, policies and clocks', () => {
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 120 }),
        fc.constantFrom(...ZONES),
        fc.record({ daily: fc.integer({ min: 0, max: 8 }), weekly: fc.integer({ min: 0, max: 9 }), monthly: fc.integer({ min: 0, max: 13 }), manual: fc.integer({ min: 0, max: 12 }) }),
        fc.integer({ min: 0, max: SPAN / 1000 }),
        (raw, zone, policy, nowOffset) => {
          const now = START + nowOffset * 1000;
          const records: BackupRecord[] = raw.map((r, i) => ({
            id: `b${String(i).padStart(3, '0')}`,
            addon: 'shop',
            kind: r.kind,
            status: r.status,
            verified: r.status === 'ok' && r.verified,
            startedAt: new Date(START + r.offset * 1000).toISOString().replace(/\.000Z$/, 'Z'),
          }));
          const ts = keptBackups(records, policy, { now: new Date(now).toISOString(), timezone: zone }).prune.map((p) => p.id);
          expect(hostPrune(records, policy, zone, now)).toEqual(ts);
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);

  it('prunes per the starter plan in a readable case', () => {
    const day = (d: number, kind: 'daily' | 'manual' = 'daily'): BackupRecord => ({
      id: `${kind}-${d}`, addon: 'shop', kind, status: 'ok', verified: true, startedAt: `2026-11-${String(d).padStart(2, '0')}T00:00:00Z`,
    });
    const history = [...Array.from({ length: 20 }, (_, i) => day(i + 1)), ...Array.from({ length: 12 }, (_, i) => day(i + 1, 'manual'))];
    const pruned = hostPrune(history, { daily: 7, weekly: 4, monthly: 0, manual: 10 }, 'UTC', Date.parse('2026-11-20T12:00:00Z'));
    expect(pruned).toEqual(keptBackups(history, { daily: 7, weekly: 4, monthly: 0, manual: 10 }, { now: '2026-11-20T12:00:00Z', timezone: 'UTC' }).prune.map((p) => p.id));
    expect(pruned).toContain('manual-1');
    expect(pruned).toContain('manual-2');
    expect(pruned).not.toContain('daily-20');
  });

  it('a backup "running" for a day or more died: it is pruned like a failed one once a newer good one exists', () => {
    const rec = (id: string, status: BackupRecord['status'], startedAt: string): BackupRecord => ({ id, addon: 'shop', kind: 'manual', status, verified: status === 'ok', startedAt });
    const history = [rec('dead', 'running', '2026-11-19T00:00:00Z'), rec('busy', 'running', '2026-11-20T00:00:00Z'), rec('good', 'ok', '2026-11-19T12:00:00Z')];
    const policy = { daily: 7, weekly: 4, monthly: 0, manual: 10 };
    const now = Date.parse('2026-11-20T12:00:00Z');
    expect(hostPrune(history, policy, 'UTC', now)).toEqual(['dead']);
    expect(keptBackups(history, policy, { now: new Date(now).toISOString(), timezone: 'UTC' }).prune.map((p) => p.id)).toEqual(['dead']);
  });
});
