import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pitrProblems } from '../../src/resources/pitr/health.js';
import { parseArchiver, pitrStatus } from '../../src/resources/pitr/info.js';

// What `dbform drift` reports about an add-on's point-in-time recovery, from what the fleet answered in a real
// run (the same recordings as pitr-info.test.ts), healthy and then broken in the two ways drift names.

const INFO = readFileSync(new URL('./recorded/pgbackrest-info.json', import.meta.url), 'utf8');
const ARCHIVER = parseArchiver(readFileSync(new URL('./recorded/pg-stat-archiver.json', import.meta.url), 'utf8'));

describe('PITR health', () => {
  it('a stanza with a full base backup and an archiver that succeeds last is healthy', () => {
    expect(pitrProblems('ledger', pitrStatus(INFO, 'ledger', ARCHIVER))).toEqual([]);
    // Not running: the archiver is not read, and the repository alone is healthy.
    expect(pitrProblems('ledger', pitrStatus(INFO, 'ledger', null))).toEqual([]);
  });

  it('archiving that failed after its last success is reported, with where restores stop', () => {
    const failing = { ...ARCHIVER, failedCount: 3, lastFailedWal: '000000010000000000000004', lastFailedAt: '2026-11-30T11:30:00.000Z' };
    expect(pitrProblems('ledger', pitrStatus(INFO, 'ledger', failing))).toEqual([
      'add-on ledger: WAL archiving fails since 2026-11-30T11:30:00.000Z (000000010000000000000004); restores reach 2026-11-30T11:22:21.226Z at most',
    ]);
    // A failure followed by a success is over.
    const recovered = { ...failing, lastFailedAt: '2026-11-30T11:20:00.000Z' };
    expect(pitrProblems('ledger', pitrStatus(INFO, 'ledger', recovered))).toEqual([]);
  });

  it('no good full base backup: nothing can be restored to a point in time', () => {
    const info = JSON.parse(INFO) as [{ backup: Record<string, unknown>[] }];
    info[0].backup = info[0].backup.map((b) => ({ ...b, error: true }));
    const [problem] = pitrProblems('ledger', pitrStatus(JSON.stringify(info), 'ledger', ARCHIVER));
    expect(problem).toMatch(/^add-on ledger: no full base backup in its PITR repository \(stanza ledger: .*\): nothing can be restored to a point in time$/);
  });
});
