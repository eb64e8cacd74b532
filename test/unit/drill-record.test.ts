import { describe, expect, it } from 'vitest';
import { drillId, drillKey, drillRecordsToPrune, overdueDrill, parseDrillKey } from '../../src/drill/record.js';

// What a drill stores (its key says when and how it went) and what drift says of an add-on's drills.

const now = new Date('2026-11-30T12:00:00Z');
const key = (at: string, ok: boolean) => drillKey({ addon: 'shop', id: drillId(new Date(at)), ok });

describe('drill records', () => {
  it('a record key carries the drill time and outcome, and reads back', () => {
    const k = key('2026-11-30T10:15:42.123Z', true);
    expect(k).toBe('.drills/shop/20261130T101542Z-ok.json');
    expect(parseDrillKey(k)).toEqual({ key: k, at: new Date('2026-11-30T10:15:42Z'), ok: true });
    expect(parseDrillKey(key('2026-11-30T10:15:42Z', false))?.ok).toBe(false);
    // Anything else under the prefix (a temporary file, another name) is not a record.
    for (const other of ['.drills/shop/20261130T101542Z-ok.json.tmp', '.drills/shop/notes.json', 'shop/20261130T101542Z-ok.json']) {
      expect(parseDrillKey(other)).toBeNull();
    }
  });
});

describe('overdue drills (drift)', () => {
  it('an add-on never drilled is not reported', () => {
    expect(overdueDrill('shop', [], now)).toBeNull();
    expect(overdueDrill('shop', ['.drills/shop/junk.json'], now)).toBeNull();
  });

  it('a successful drill of 6 days ago is on time, one of 8 days ago is overdue', () => {
    expect(overdueDrill('shop', [key('2026-11-24T13:00:00Z', true)], now)).toBeNull();
    expect(overdueDrill('shop', [key('2026-11-22T12:00:00Z', true)], now)).toBe(
      'add-on shop: the last successful restore drill (2026-11-22T12:00:00.000Z) is older than 7 days (dbform backups drill shop)',
    );
  });

  it('failed drills do not count as successful ones, and the last failure is said', () => {
    const keys = [key('2026-11-20T12:00:00Z', true), key('2026-11-29T12:00:00Z', false)];
    expect(overdueDrill('shop', keys, now)).toBe(
      'add-on shop: the last successful restore drill (2026-11-20T12:00:00.000Z) is older than 7 days; the last drill, 2026-11-29T12:00:00.000Z, failed (dbform backups drill shop)',
    );
    expect(overdueDrill('shop', [key('2026-11-29T12:00:00Z', false)], now)).toBe(
      'add-on shop: no successful restore drill; the last drill, 2026-11-29T12:00:00.000Z, failed (dbform backups drill shop)',
    );
    // A recent success after a failure is on time.
    expect(overdueDrill('shop', [...keys, key('2026-11-30T11:00:00Z', true)], now)).toBeNull();
  });

  it('the number of days is a parameter', () => {
    const keys = [key('2026-11-28T12:00:00Z', true)];
    expect(overdueDrill('shop', keys, now, 3)).toBeNull();
    expect(overdueDrill('shop', keys, now, 1)).toMatch(/older than 1 days/);
  });
});

describe('pruning drill records', () => {
  it('keeps the newest N and the newest successful one', () => {
    const keys = [key('2026-11-01T00:00:00Z', true), key('2026-11-02T00:00:00Z', false), key('2026-11-03T00:00:00Z', false), key('2026-11-04T00:00:00Z', false)];
    expect(drillRecordsToPrune(keys, 2)).toEqual([key('2026-11-02T00:00:00Z', false)]);
    expect(drillRecordsToPrune(keys, 4)).toEqual([]);
    const good = [key('2026-11-05T00:00:00Z', true), ...keys];
    // A newer success: the older one is no longer needed.
    expect(drillRecordsToPrune(good, 2)).toEqual([key('2026-11-03T00:00:00Z', false), key('2026-11-02T00:00:00Z', false), key('2026-11-01T00:00:00Z', true)]);
  });
});
