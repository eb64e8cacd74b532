import { describe, expect, it } from 'vitest';
import { checkTarget, parseRestoreTarget, pgTargetTime } from '../../src/resources/pitr/restore-target.js';

// `dbform restore --to`: what it accepts, and the window check that refuses before anything is touched.

const WINDOW = { earliest: '2026-11-30T09:00:00.000Z', latest: '2026-11-30T11:00:00.000Z' };
const NOW = new Date('2026-11-30T11:00:30Z');

describe('restore target', () => {
  it('latest, RFC 3339 with its offset, or a wall-clock time in the file zone', () => {
    expect(parseRestoreTarget('latest', 'Europe/Paris')).toEqual({ kind: 'latest' });
    expect(parseRestoreTarget('2026-11-30T10:15:00Z', 'Europe/Paris')).toEqual({ kind: 'time', iso: '2026-11-30T10:15:00.000Z' });
    expect(parseRestoreTarget('2026-11-30T11:15:00+01:00', 'UTC')).toEqual({ kind: 'time', iso: '2026-11-30T10:15:00.000Z' });
    // Paris is UTC+1 in November, UTC+2 in July.
    expect(parseRestoreTarget('2026-11-30 11:15:00', 'Europe/Paris')).toEqual({ kind: 'time', iso: '2026-11-30T10:15:00.000Z' });
    expect(parseRestoreTarget('2026-07-01 11:15', 'Europe/Paris')).toEqual({ kind: 'time', iso: '2026-07-01T09:15:00.000Z' });
  });

  it('anything else is a clear error', () => {
    for (const bad of ['yesterday', '2026-11-30', '2026-13-01 10:00', '10:15']) {
      expect(() => parseRestoreTarget(bad, 'UTC'), bad).toThrow(/not a time: use latest, an RFC 3339 time/);
    }
  });

  it('a time outside the window is refused, naming the window', () => {
    const at = (iso: string) => () => checkTarget({ kind: 'time', iso }, WINDOW, NOW, 'UTC');
    expect(at('2026-11-30T10:00:00.000Z')).not.toThrow();
    expect(at(WINDOW.earliest)).not.toThrow();
    expect(at('2026-11-30T12:00:00.000Z')).toThrow('2026-11-30 12:00:00 UTC is in the future; the window is 2026-11-30 09:00:00 UTC to 2026-11-30 11:00:00 UTC');
    expect(at('2026-11-30T08:59:59.000Z')).toThrow('is before the oldest base backup ends; the window is 2026-11-30 09:00:00 UTC');
    expect(at('2026-11-30T11:00:10.000Z')).toThrow('is after the last archived WAL; the window is');
    expect(() => checkTarget({ kind: 'latest' }, WINDOW, NOW, 'UTC')).not.toThrow();
    expect(() => checkTarget({ kind: 'latest' }, null, NOW, 'UTC')).toThrow('no point-in-time recovery window yet');
  });

  it('PostgreSQL reads the target in UTC with milliseconds', () => {
    expect(pgTargetTime('2026-11-30T10:15:00.123Z')).toBe('2026-11-30 10:15:00.123+00');
  });
});
