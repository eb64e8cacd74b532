// The daily backup schedule of an add-on as `/etc/cron.d` lines (SPEC "Backups, retention, PITR"; issue 5):
// a local hour of the day in the add-on's time zone ("03:00", or "4:00 UTC" with its own zone) must give exactly
// one backup per local day, at that local time, across daylight-saving changes.
//
// ASSUMPTION: cron on our hosts runs in UTC (the hosts' clock and zone are UTC). We do not use CRON_TZ: Debian's
// cron does not honour it reliably. So the zone is handled by the command itself:
//
//  - Cron fires at every UTC time that the chosen local time can fall on (one per UTC offset the zone uses:
//    Europe/Paris 03:00 -> 01:00 UTC in summer and 02:00 UTC in winter), plus, when the chosen time can fall in a
//    spring-forward gap (02:30 in Paris on the last Sunday of March does not exist), the UTC time of that change,
//    which is the first local minute that exists after the gap (03:00 local that day).
//  - Each firing runs a guard: it reads the local date and time in the add-on's zone (`TZ=zone date`), and runs the
//    backup only when the local time is at or after the chosen time AND the stamp file
//    `/var/lib/dbform/ADDON/last-backup-day` does not already hold today's local date. It writes the date to the
//    stamp (atomically, before the backup starts) and then runs the command.
//
// Why that gives exactly one backup per local day at the chosen time: before the first instant of a local day at
// which the local clock reads at least the chosen time, every firing is refused (too early). That first instant is
// either the chosen time itself (reached by the candidate for the offset in force then) or, in a spring-forward
// gap, the change itself (reached by the gap candidate). It runs and stamps the day, so every later firing that day
// (the other offset's candidate, or the chosen time occurring a second time on a fall-back day) is refused.
// A firing missed while the host was down is made up by a later candidate the same local day, never twice.
//
// The host needs the zone's tzdata (`/usr/share/zoneinfo/ZONE`): without it `date` silently falls back to UTC.
//
// test/unit/cron-simulator.ts reads the cron lines back (cron field matching + this guard's semantics) and
// computes when the backup actually runs, so tests prove the property on the lines we install, not on a model.

import { isKnownZone } from '../../util/time-zone.js';
import type { ScheduleAt } from '../../config/semantic.js';

export type { ScheduleAt } from '../../config/semantic.js';

export interface CronOptions {
  /** The shell command that takes the backup (run by /bin/sh after the guard). */
  command: string;
  /** The add-on's name: names its stamp file. */
  addon: string;
  /** The user the cron job runs as; default root. */
  user?: string;
  /** Directory of the per-add-on state; default /var/lib/dbform. */
  stateDir?: string;
  /** Years whose UTC offsets and daylight-saving changes are considered; default 2020 to 2060. */
  years?: { from: number; to: number };
}

/** A cron time in UTC: `minute` past each of `hours`. */
export interface UtcCronTime {
  minute: number;
  hours: number[];
}

export interface SchedulePlan {
  /** The zone the chosen time is in: scheduleAt.zone, else the add-on's time zone. */
  zone: string;
  hour: number;
  minute: number;
  /** The UTC cron times that fire the guard, sorted by minute. */
  times: UtcCronTime[];
}

const DEFAULT_STATE_DIR = '/var/lib/dbform';
const DEFAULT_YEARS = { from: 2020, to: 2060 };
const MINUTE_MS = 60_000;
const DAY_MINUTES = 1440;

/** "daily at 03:00 Europe/Paris". */
export function describeSchedule(scheduleAt: ScheduleAt, timezone: string): string {
  return `daily at ${hhmm(scheduleAt.hour, scheduleAt.minute)} ${scheduleAt.zone ?? timezone}`;
}

/** The UTC times at which cron must fire the guard for `scheduleAt` (see the comment at the top of this file). */
export function schedulePlan(scheduleAt: ScheduleAt, timezone: string, years: { from: number; to: number } = DEFAULT_YEARS): SchedulePlan {
  const { hour, minute } = scheduleAt;
  if (!Number.isInteger(hour) || hour < 0 || hour > 23 || !Number.isInteger(minute) || minute < 0 || minute > 59) {
    throw new RangeError(`schedule: ${hour}:${minute} is not a time of day`);
  }
  const zone = scheduleAt.zone ?? timezone;
  if (!isKnownZone(zone)) throw new RangeError(`schedule: unknown time zone ${JSON.stringify(zone)}`);
  const target = hour * 60 + minute;
  const facts = zoneFacts(zone, years.from, years.to);
  const utcMinutes = new Set<number>();
  for (const offset of facts.offsets) utcMinutes.add(mod(target - offset, DAY_MINUTES));
  for (const gap of facts.gaps) {
    if (mod(target - gap.localStart, DAY_MINUTES) < gap.length) utcMinutes.add(gap.utcMinute);
  }
  const byMinute = new Map<number, number[]>();
  for (const m of utcMinutes) {
    const hours = byMinute.get(m % 60) ?? [];
    hours.push(Math.floor(m / 60));
    byMinute.set(m % 60, hours);
  }
  const times = [...byMinute.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([m, hours]) => ({ minute: m, hours: hours.sort((a, b) => a - b) }));
  return { zone, hour, minute, times };
}

/**
 * The lines of the add-on's `/etc/cron.d` file (comments, then one job line per distinct UTC minute).
 * Join them with "\n" and end the file with a newline (cron ignores a last line without one).
 */
export function cronEntries(scheduleAt: ScheduleAt, timezone: string, opts: CronOptions): string[] {
  const plan = schedulePlan(scheduleAt, timezone, opts.years);
  const user = opts.user ?? 'root';
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(user)) throw new RangeError(`schedule: ${JSON.stringify(user)} is not a user name`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(opts.addon)) {
    throw new RangeError(`schedule: ${JSON.stringify(opts.addon)} cannot name a state directory`);
  }
  if (/[\r\n\0]/.test(opts.command) || opts.command.trim() === '') throw new RangeError('schedule: the command must be one non-empty line');
  if (opts.command.includes('\\%')) throw new RangeError('schedule: the command cannot contain "\\%" (cron cannot express it)');
  const dir = `${(opts.stateDir ?? DEFAULT_STATE_DIR).replace(/\/+$/, '')}/${opts.addon}`;
  if (!/^\/[A-Za-z0-9_./-]*$/.test(dir)) throw new RangeError(`schedule: ${JSON.stringify(dir)} is not a plain absolute path`);
  const stamp = `${dir}/last-backup-day`;
  const threshold = `1${hhmm(plan.hour, plan.minute).replace(':', '')}`;
  // POSIX sh (dash). `date '+%F 1%H%M'` prints "2026-03-29 10300": the leading 1 keeps the number decimal.
  const guard =
    `now=$(TZ=${sq(plan.zone)} date '+%F 1%H%M'); day=\${now% *}; ` +
    `if [ "\${now#* }" -ge ${threshold} ] && [ "$(cat ${sq(stamp)} 2>/dev/null)" != "$day" ]; then ` +
    `mkdir -p ${sq(dir)} && echo "$day" > ${sq(`${stamp}.tmp`)} && mv -f ${sq(`${stamp}.tmp`)} ${sq(stamp)} && { ${opts.command}; }; fi`;
  const command = guard.replace(/%/g, '\\%');
  return [
    `# dbform: backups of ${opts.addon}, ${describeSchedule(scheduleAt, timezone)}, exactly once per local day.`,
    '# Cron runs in UTC here: each line below fires at a UTC time the local time can fall on; the guard runs the',
    '# backup at the first firing at or after the local time and records the local day so that it runs once.',
    ...plan.times.map((t) => `${t.minute} ${t.hours.join(',')} * * * ${user} ${command}`),
  ];
}

// ---- zones -------------------------------------------------------------------------------------------------

interface ZoneFacts {
  /** Every UTC offset (minutes) in force during the years scanned. */
  offsets: number[];
  /** Spring-forward gaps: the change's UTC minute of day, and the local times of day that do not exist. */
  gaps: { utcMinute: number; localStart: number; length: number }[];
}

const factsCache = new Map<string, ZoneFacts>();

/** Offsets and gaps of `zone` from `fromYear` to `toYear`, scanning weekly and bisecting each change to the minute. */
function zoneFacts(zone: string, fromYear: number, toYear: number): ZoneFacts {
  const key = `${zone}|${fromYear}|${toYear}`;
  const cached = factsCache.get(key);
  if (cached) return cached;
  const offsetAt = offsetFinder(zone);
  const step = 7 * DAY_MINUTES * MINUTE_MS;
  const end = Date.UTC(toYear + 1, 0, 1);
  const offsets = new Set<number>();
  const gaps = new Map<string, ZoneFacts['gaps'][number]>();
  let prevMs = Date.UTC(fromYear, 0, 1);
  let prev = offsetAt(prevMs);
  offsets.add(prev);
  for (let ms = prevMs + step; ms <= end; ms += step) {
    const cur = offsetAt(ms);
    if (cur !== prev) {
      // Bisect to the first minute with the new offset.
      let lo = prevMs;
      let hi = ms;
      while (hi - lo > MINUTE_MS) {
        const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
        if (offsetAt(mid) === prev) lo = mid;
        else hi = mid;
      }
      offsets.add(cur);
      if (cur > prev) {
        const utcMinute = mod(Math.floor(hi / MINUTE_MS), DAY_MINUTES);
        const gap = { utcMinute, localStart: mod(utcMinute + prev, DAY_MINUTES), length: cur - prev };
        gaps.set(`${gap.utcMinute}|${gap.localStart}|${gap.length}`, gap);
      }
    }
    prev = cur;
    prevMs = ms;
  }
  const facts = { offsets: [...offsets].sort((a, b) => a - b), gaps: [...gaps.values()] };
  factsCache.set(key, facts);
  return facts;
}

/**
 * The UTC offset (minutes) of `zone` at an instant. Intl's formatter directly: several times faster than
 * luxon's IANAZone.offset, which matters for the scan above (thousands of look-ups per zone).
 */
function offsetFinder(zone: string): (ms: number) => number {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return (ms) => {
    const m = /(\d+)\/(\d+)\/(\d+),? (\d+):(\d+):(\d+)/.exec(format.format(ms));
    if (!m) throw new Error(`schedule: cannot read the local time in ${zone}`);
    const [, mo, d, y, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
    return Math.round((Date.UTC(y, mo - 1, d, h, mi, se) - Math.floor(ms / 1000) * 1000) / MINUTE_MS);
  };
}

// ---- helpers -------------------------------------------------------------------------------------------------

function hhmm(hour: number, minute: number): string {
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

/** Single-quoted for /bin/sh. */
function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
