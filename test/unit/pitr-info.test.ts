import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseArchiver, pitrStatus } from '../../src/resources/pitr/info.js';

// The PITR window from what the fleet answered in a real run (test/integration/pitr.test.ts): pgBackRest 2.45's
// `info --output=json` for stanza ledger right after apply's first full base backup, and pg_stat_archiver.

const INFO = readFileSync(new URL('./recorded/pgbackrest-info.json', import.meta.url), 'utf8');
const ARCHIVER = readFileSync(new URL('./recorded/pg-stat-archiver.json', import.meta.url), 'utf8');

describe('PITR window', () => {
  it('from the end of the oldest full base backup to the last archived WAL segment', () => {
    const s = pitrStatus(INFO, 'ledger', parseArchiver(ARCHIVER));
    expect(s.status).toBe('ok');
    expect(s.baseBackups).toEqual([{
      id: '20261130-112214F',
      type: 'full',
      startedAt: '2026-11-30T11:22:14.000Z',
      finishedAt: '2026-11-30T11:22:21.000Z',
      size: 30485620,
      repositorySize: 4087104,
      walStart: '000000010000000000000002',
      walStop: '000000010000000000000003',
      status: 'ok',
    }]);
    expect(s.window).toEqual({ earliest: '2026-11-30T11:22:21.000Z', latest: '2026-11-30T11:22:21.226Z' });
    expect(s.archiver).toMatchObject({ archivedCount: 4, lastArchivedWal: '000000010000000000000003', failedCount: 0, lastFailedAt: null });
  });

  it('later archiving moves the latest time; without the archiver the newest backup end is the latest', () => {
    const later = { ...parseArchiver(ARCHIVER), lastArchivedAt: '2026-11-30T11:40:00.000Z' };
    expect(pitrStatus(INFO, 'ledger', later).window).toEqual({ earliest: '2026-11-30T11:22:21.000Z', latest: '2026-11-30T11:40:00.000Z' });
    expect(pitrStatus(INFO, 'ledger', null).window).toEqual({ earliest: '2026-11-30T11:22:21.000Z', latest: '2026-11-30T11:22:21.000Z' });
  });

  it('the oldest good full backup starts the window; a failed one does not count', () => {
    const info = JSON.parse(INFO) as [{ backup: Record<string, unknown>[] }];
    const first = info[0].backup[0]!;
    const older = { ...first, label: '20261123-010000F', error: true, timestamp: { start: 1795395600, stop: 1795395700 } };
    const oldest = { ...first, label: '20261122-010000F', timestamp: { start: 1795309200, stop: 1795309300 } };
    info[0].backup = [first, older, oldest];
    const s = pitrStatus(JSON.stringify(info), 'ledger', null);
    expect(s.baseBackups.map((b) => `${b.id} ${b.status}`)).toEqual(['20261122-010000F ok', '20261123-010000F error', '20261130-112214F ok']);
    expect(s.window!.earliest).toBe(new Date(1795309300 * 1000).toISOString());
  });

  it('no base backup, or no such stanza: no window', () => {
    const info = JSON.parse(INFO) as [{ backup: unknown[] }];
    info[0].backup = [];
    expect(pitrStatus(JSON.stringify(info), 'ledger', null).window).toBeNull();
    expect(pitrStatus(INFO, 'other', null)).toMatchObject({ status: 'missing stanza', window: null, baseBackups: [] });
  });
});
