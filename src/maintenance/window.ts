// Maintenance windows: "sun 03:00-05:00" (or "daily 03:00-05:00") read as wall-clock times in a time zone.
// Pure. Each occurrence is computed from the local date with luxon, so a window keeps its local hours across
// daylight-saving changes (it is then an hour longer or shorter), and an end earlier than the start means
// the window crosses midnight into the next day.

import { DateTime } from 'luxon';

export interface WindowSpec {
  /** 1 = Monday ... 7 = Sunday (ISO, as luxon's weekday); undefined = every day. */
  weekday?: number;
  start: { hour: number; minute: number };
  end: { hour: number; minute: number };
}

/** One occurrence of a window, as instants. */
export interface WindowOccurrence {
  start: DateTime;
  end: DateTime;
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const USAGE = 'must be "DAY HH:MM-HH:MM" with DAY one of mon, tue, wed, thu, fri, sat, sun or daily, e.g. "sun 03:00-05:00" (an end before the start crosses midnight)';

/** Parses a window; a string is the reason it is not one (to follow the quoted value in a message). */
export function parseWindow(text: string): WindowSpec | string {
  const m = /^([a-z]+) +(\d{1,2}):(\d{2}) *- *(\d{1,2}):(\d{2})$/i.exec(text.trim());
  if (!m) return USAGE;
  const day = m[1]!.toLowerCase();
  const weekday = day === 'daily' ? undefined : DAYS.indexOf(day) + 1;
  if (weekday === 0) return `has an unknown day "${m[1]}"; ${USAGE}`;
  const start = { hour: Number(m[2]), minute: Number(m[3]) };
  const end = { hour: Number(m[4]), minute: Number(m[5]) };
  for (const t of [start, end]) {
    if (t.hour > 23 || t.minute > 59) return `has a time ${pad(t.hour)}:${pad(t.minute)} that is not an hour of the day (00:00 to 23:59); ${USAGE}`;
  }
  if (start.hour === end.hour && start.minute === end.minute) return `starts and ends at the same time; ${USAGE}`;
  return { ...(weekday !== undefined && { weekday }), start, end };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** The occurrence of `w` that starts on the local date of `day` (undefined if `w` does not run that day). */
function occurrenceOn(w: WindowSpec, day: DateTime): WindowOccurrence | undefined {
  if (w.weekday !== undefined && day.weekday !== w.weekday) return undefined;
  const crossesMidnight = w.end.hour * 60 + w.end.minute <= w.start.hour * 60 + w.start.minute;
  // A wall-clock time skipped by a DST change (02:30 on a spring-forward night) is moved forward by luxon.
  const start = day.set({ ...w.start, second: 0, millisecond: 0 });
  const end = (crossesMidnight ? day.plus({ days: 1 }) : day).set({ ...w.end, second: 0, millisecond: 0 });
  return { start, end };
}

/** The occurrence in effect at `now`, or else the next one to start. */
export function currentOrNextWindow(w: WindowSpec, zone: string, now: Date): WindowOccurrence {
  const at = DateTime.fromJSDate(now, { zone });
  const today = at.startOf('day');
  // Yesterday's occurrence may still run (it crosses midnight); a weekly one recurs within 8 days.
  for (let d = -1; d <= 8; d++) {
    const occ = occurrenceOn(w, today.plus({ days: d }));
    if (occ && occ.end > at) return occ;
  }
  throw new Error('unreachable: a window recurs at least weekly');
}

export function isInsideWindow(w: WindowSpec, zone: string, now: Date): boolean {
  return currentOrNextWindow(w, zone, now).start <= DateTime.fromJSDate(now, { zone });
}

/** "Sun 2026-03-29 03:00 UTC+02:00": how a plan and a report name the start of a window (the offset, not an
 *  abbreviation: those depend on the machine's locale data and some are ambiguous). */
export function localTime(t: DateTime): string {
  return t.toFormat("ccc yyyy-LL-dd HH:mm 'UTC'ZZ");
}
