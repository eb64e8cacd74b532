// A test-only cron simulator: reads the /etc/cron.d lines of src/resources/backups/schedule.ts back (cron's field
// matching, evaluated in UTC as on our hosts, plus the guard's semantics: local time at or after the threshold,
// and a stamp file holding the local day) and computes when the backup actually runs. Tests prove the schedule's
// property on the lines we install, not on a model of them. The shell test in backups-schedule.test.ts runs the
// guard itself under /bin/sh and requires the same answer as this simulator.

import { DateTime } from 'luxon';

const MINUTE_MS = 60_000;
const DAY_MINUTES = 1440;

/**
 * The instants at which the backup runs between `from` (inclusive) and `to` (exclusive), ISO instants, given the
 * cron lines (evaluated in UTC, minute by minute) and the guard's semantics, starting with no stamp file.
 * Lines without our guard fire on every match. Returned in UTC.
 */
export function simulateFirings(entries: readonly string[], from: string, to: string): DateTime[] {
  const start = DateTime.fromISO(from, { zone: 'utc' });
  const end = DateTime.fromISO(to, { zone: 'utc' });
  if (!start.isValid || !end.isValid) throw new RangeError('simulateFirings: from and to must be ISO instants');
  const jobs = entries.map(parseCronLine).filter((j): j is CronJob => j !== undefined);
  const stamps = new Map<string, string>();
  const fired: DateTime[] = [];
  const first = Math.ceil(start.toMillis() / MINUTE_MS) * MINUTE_MS;
  for (let ms = first; ms < end.toMillis(); ms += MINUTE_MS) {
    const minuteOfDay = mod(Math.floor(ms / MINUTE_MS), DAY_MINUTES);
    let ran = false;
    for (const job of jobs) {
      if (!job.minute(minuteOfDay % 60) || !job.hour(Math.floor(minuteOfDay / 60)) || !cronMatches(job, new Date(ms))) continue;
      const guard = job.guard;
      if (guard === undefined) {
        ran = true;
        continue;
      }
      const local = DateTime.fromMillis(ms, { zone: guard.zone });
      const day = local.toISODate() ?? '';
      if (Number(`1${local.toFormat('HHmm')}`) < guard.threshold || stamps.get(guard.stamp) === day) continue;
      stamps.set(guard.stamp, day);
      ran = true;
    }
    if (ran) fired.push(DateTime.fromMillis(ms, { zone: 'utc' }));
  }
  return fired;
}

/**
 * The instants (in `timezone`) at which the backup runs on the local day `localDate` ("2026-03-29"), simulating
 * from the local day before, so that the stamp file holds what the previous day left in it.
 */
export function firingsForDay(entries: readonly string[], localDate: string, timezone: string): DateTime[] {
  const day = DateTime.fromISO(localDate, { zone: timezone });
  if (!day.isValid) throw new RangeError(`firingsForDay: ${JSON.stringify(localDate)} is not a date in ${timezone}`);
  const from = day.startOf('day').minus({ hours: 36 });
  const to = day.startOf('day').plus({ hours: 36 });
  return simulateFirings(entries, from.toUTC().toISO() ?? '', to.toUTC().toISO() ?? '')
    .map((t) => t.setZone(timezone))
    .filter((t) => t.toISODate() === localDate);
}


interface CronJob {
  minute: FieldMatcher;
  hour: FieldMatcher;
  dom: FieldMatcher;
  month: FieldMatcher;
  dow: FieldMatcher;
  domStar: boolean;
  dowStar: boolean;
  guard?: { zone: string; threshold: number; stamp: string };
}

type FieldMatcher = (n: number) => boolean;

function parseCronLine(line: string): CronJob | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#') || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(trimmed)) return undefined;
  const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.+)$/.exec(trimmed);
  if (!m) throw new RangeError(`not a cron.d line: ${line}`);
  const [, min, hr, dom, mon, dow, , rawCommand] = m as unknown as [string, string, string, string, string, string, string, string];
  // Cron turns "\%" into "%" (and a bare "%" into a newline, which we never write).
  const command = rawCommand.replace(/\\%/g, '%');
  const zone = /TZ='([^']+)' date '\+%F 1%H%M'/.exec(command)?.[1];
  const threshold = /-ge (1\d{4})\b/.exec(command)?.[1];
  const stamp = /cat '([^']+)' 2>\/dev\/null/.exec(command)?.[1];
  return {
    minute: field(min, 0, 59),
    hour: field(hr, 0, 23),
    dom: field(dom, 1, 31),
    month: field(mon, 1, 12),
    dow: field(dow, 0, 7),
    domStar: dom === '*',
    dowStar: dow === '*',
    guard: zone && threshold && stamp ? { zone, threshold: Number(threshold), stamp } : undefined,
  };
}

function cronMatches(job: CronJob, d: Date): boolean {
  if (!job.minute(d.getUTCMinutes()) || !job.hour(d.getUTCHours()) || !job.month(d.getUTCMonth() + 1)) return false;
  const domOk = job.dom(d.getUTCDate());
  const dow = d.getUTCDay();
  const dowOk = job.dow(dow) || (dow === 0 && job.dow(7));
  // Cron's rule: when both day fields are restricted, either one matching is enough.
  if (!job.domStar && !job.dowStar) return domOk || dowOk;
  return domOk && dowOk;
}

/** A cron field: "*", "N", "A-B", any of them with "/STEP", comma-separated. */
function field(text: string, min: number, max: number): FieldMatcher {
  const allowed = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new RangeError(`unsupported cron field ${JSON.stringify(text)}`);
    const lo = m[1] === '*' ? min : Number(m[2]);
    const hi = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
    const stepBy = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < min || hi > max || lo > hi || stepBy < 1) throw new RangeError(`cron field ${JSON.stringify(text)} is out of range`);
    for (let n = lo; n <= hi; n += stepBy) allowed.add(n);
  }
  return (n) => allowed.has(n);
}


function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}
