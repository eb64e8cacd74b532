import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { currentOrNextWindow, isInsideWindow, parseWindow, type WindowSpec } from '../../src/maintenance/window.js';

const spec = (text: string): WindowSpec => {
  const w = parseWindow(text);
  if (typeof w === 'string') throw new Error(w);
  return w;
};
/** An instant given as a wall-clock time in `zone`. */
const at = (iso: string, zone: string): Date => DateTime.fromISO(iso, { zone }).toJSDate();
const PARIS = 'Europe/Paris';

describe('parsing a maintenance window', () => {
  it('reads a day (or daily) and two wall-clock times', () => {
    expect(parseWindow('sun 03:00-05:00')).toEqual({ weekday: 7, start: { hour: 3, minute: 0 }, end: { hour: 5, minute: 0 } });
    expect(parseWindow(' Mon 9:30 - 10:15 ')).toEqual({ weekday: 1, start: { hour: 9, minute: 30 }, end: { hour: 10, minute: 15 } });
    expect(parseWindow('daily 23:00-01:00')).toEqual({ start: { hour: 23, minute: 0 }, end: { hour: 1, minute: 0 } });
  });

  it('says why a text is not a window', () => {
    expect(parseWindow('sunday 03:00-05:00')).toMatch(/^has an unknown day "sunday"; must be "DAY HH:MM-HH:MM"/);
    expect(parseWindow('sun 03:00')).toMatch(/^must be "DAY HH:MM-HH:MM"/);
    expect(parseWindow('sun 24:00-05:00')).toMatch(/^has a time 24:00 that is not an hour of the day/);
    expect(parseWindow('sun 03:60-05:00')).toMatch(/^has a time 03:60/);
    expect(parseWindow('sun 03:00-03:00')).toMatch(/^starts and ends at the same time/);
  });
});

describe('inside a window, and when the next one starts', () => {
  const sunday = spec('sun 03:00-05:00');

  it('is inside from the start (included) to the end (excluded), in the zone given', () => {
    expect(isInsideWindow(sunday, PARIS, at('2026-11-29T02:59', PARIS))).toBe(false);
    expect(isInsideWindow(sunday, PARIS, at('2026-11-29T03:00', PARIS))).toBe(true);
    expect(isInsideWindow(sunday, PARIS, at('2026-11-29T04:59', PARIS))).toBe(true);
    expect(isInsideWindow(sunday, PARIS, at('2026-11-29T05:00', PARIS))).toBe(false);
    // 03:30 in Paris is 02:30 UTC: the same instant is outside a window read in New York.
    expect(isInsideWindow(sunday, 'America/New_York', at('2026-11-29T03:30', PARIS))).toBe(false);
  });

  it('gives the next start a week ahead once a weekly window has passed', () => {
    const next = currentOrNextWindow(sunday, PARIS, at('2026-11-29T05:00', PARIS));
    expect(next.start.toISO()).toBe('2026-12-06T03:00:00.000+01:00');
    expect(next.end.toISO()).toBe('2026-12-06T05:00:00.000+01:00');
    expect(currentOrNextWindow(sunday, PARIS, at('2026-11-30T13:00', PARIS)).start.toISO()).toBe('2026-12-06T03:00:00.000+01:00');
  });

  it('crosses midnight: a Saturday 23:00-01:00 window still runs on Sunday at 00:30, not on Sunday at 23:30', () => {
    const late = spec('sat 23:00-01:00');
    expect(isInsideWindow(late, PARIS, at('2026-11-28T23:30', PARIS))).toBe(true);
    expect(isInsideWindow(late, PARIS, at('2026-11-29T00:30', PARIS))).toBe(true);
    expect(isInsideWindow(late, PARIS, at('2026-11-29T01:00', PARIS))).toBe(false);
    expect(isInsideWindow(late, PARIS, at('2026-11-29T23:30', PARIS))).toBe(false);
    expect(currentOrNextWindow(late, PARIS, at('2026-11-29T00:30', PARIS)).start.toISO()).toBe('2026-11-28T23:00:00.000+01:00');
  });

  it('keeps its local hours across daylight-saving changes (the UTC offset moves with them)', () => {
    // Paris leaves CET for CEST on Sunday 2026-03-29 at 02:00, and comes back on Sunday 2026-10-25 at 03:00.
    const before = currentOrNextWindow(sunday, PARIS, at('2026-03-28T12:00', PARIS));
    expect(before.start.toISO()).toBe('2026-03-29T03:00:00.000+02:00');
    expect(before.start.toUTC().toISO()).toBe('2026-03-29T01:00:00.000Z');
    const autumn = currentOrNextWindow(sunday, PARIS, at('2026-10-24T12:00', PARIS));
    expect(autumn.start.toUTC().toISO()).toBe('2026-10-25T02:00:00.000Z');
    // That night 02:00-03:00 happens twice: a 02:00-04:00 window lasts three hours of real time.
    const twice = currentOrNextWindow(spec('sun 02:00-04:00'), PARIS, at('2026-10-24T12:00', PARIS));
    expect(twice.end.diff(twice.start, 'hours').hours).toBe(3);
    // And a 02:00-04:00 window on the spring night lasts one hour: 02:00 does not exist, luxon moves it to 03:00.
    const spring = currentOrNextWindow(spec('sun 02:00-04:00'), PARIS, at('2026-03-28T12:00', PARIS));
    expect(spring.end.diff(spring.start, 'hours').hours).toBe(1);
  });

  it('a daily window is today\'s, or tomorrow\'s once today\'s has ended', () => {
    const daily = spec('daily 03:00-05:00');
    expect(currentOrNextWindow(daily, 'UTC', at('2026-11-30T04:00', 'UTC')).start.toISO()).toBe('2026-11-30T03:00:00.000Z');
    expect(currentOrNextWindow(daily, 'UTC', at('2026-11-30T05:00', 'UTC')).start.toISO()).toBe('2026-12-01T03:00:00.000Z');
  });
});
