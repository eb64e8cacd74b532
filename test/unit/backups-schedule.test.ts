// The daily backup schedule (SPEC "Backups, retention, PITR"; issue 5): the cron lines for a UTC host fire the
// backup exactly once per local day, at the chosen local time, across daylight-saving changes. Computed, not
// waited for: `firingsForDay`/`simulateFirings` read the generated lines back and apply cron and the guard; the
// expectations here come from Intl (not luxon), and one test runs the guard itself under /bin/sh.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cronEntries, describeSchedule, schedulePlan } from '../../src/resources/backups/schedule.js';
import { firingsForDay, simulateFirings } from './cron-simulator.js';
import { parseScheduleAt } from '../../src/config/semantic.js';

const PARIS = 'Europe/Paris';
const NEW_YORK = 'America/New_York';
const MINUTE = 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Local date and wall time (minutes since midnight) of an instant, from Intl. */
function wall(ms: number, zone: string): { date: string; minutes: number } {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    formatters.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, minutes: Number(p.hour) * 60 + Number(p.minute) };
}

/**
 * When the backup must run on local day `date`: the first instant of that day whose wall clock reads at least
 * hour:minute (the chosen time, or the first minute that exists after it when the clock jumps over it).
 */
function expectedFiring(date: string, zone: string, hour: number, minute: number): number | undefined {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const target = hour * 60 + minute;
  // No zone is ahead of UTC by more than 14 hours: nothing earlier can show that date at that time.
  const start = Date.UTC(y, m - 1, d, hour, minute) - 14 * 60 * MINUTE;
  // Minute by minute; where the target is far ahead, leap closer, keeping a margin of 3 hours, more than any
  // clock change of these zones and years.
  for (let ms = start; ms < start + 40 * 60 * MINUTE; ) {
    const w = wall(ms, zone);
    if (w.date === date && w.minutes >= target) return ms;
    if (w.date > date) return undefined;
    const ahead = w.date === date ? target - w.minutes : 1440 - w.minutes + target;
    ms += Math.max(1, ahead - 180) * MINUTE;
  }
  return undefined;
}

const entriesFor = (text: string, timezone: string) => {
  const at = parseScheduleAt(text);
  if (typeof at === 'string') throw new Error(at);
  return cronEntries(at, timezone, { command: '/usr/local/bin/dbform-backup app daily', addon: 'app' });
};

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

// Both DST changes of 2026 and 2027 in both zones (each is an ordinary day for the other zone), and ordinary days.
const DST_DAYS = {
  [PARIS]: ['2026-03-29', '2026-10-25', '2027-03-28', '2027-10-31'],
  [NEW_YORK]: ['2026-03-08', '2026-11-01', '2027-03-14', '2027-11-07'],
};
const DAYS = [...DST_DAYS[PARIS], ...DST_DAYS[NEW_YORK], '2026-01-15', '2026-07-04', '2027-02-28', '2026-12-31', '2027-01-01'];
const TIMES = ['00:30', '01:00', '02:30', '03:00', '23:59'];

describe('schedule: exactly one backup per local day at the chosen time', () => {
  for (const zone of [PARIS, NEW_YORK]) {
    for (const time of TIMES) {
      it(`${zone} ${time}`, { timeout: 30_000 }, () => {
        const entries = entriesFor(time, zone);
        const [hour, minute] = time.split(':').map(Number) as [number, number];
        for (const day of DAYS) {
          const got = firingsForDay(entries, day, zone).map((t) => t.toMillis());
          expect({ day, got: got.map(iso) }).toEqual({ day, got: [iso(expectedFiring(day, zone, hour, minute))] });
        }
      });
    }
  }

  it('02:30 does not exist on the spring-forward days: the backup runs at 03:00, the first minute that does', () => {
    for (const [zone, day] of [[PARIS, '2026-03-29'], [PARIS, '2027-03-28'], [NEW_YORK, '2026-03-08'], [NEW_YORK, '2027-03-14']] as const) {
      const got = firingsForDay(entriesFor('02:30', zone), day, zone);
      expect(got.map((t) => t.toFormat('yyyy-MM-dd HH:mm'))).toEqual([`${day} 03:00`]);
    }
  });

  it('02:30 happens twice on the fall-back days: the backup runs at the first one only', () => {
    const paris = firingsForDay(entriesFor('02:30', PARIS), '2026-10-25', PARIS);
    expect(paris.map((t) => t.toISO())).toEqual(['2026-10-25T02:30:00.000+02:00']);
    const ny = firingsForDay(entriesFor('01:00', NEW_YORK), '2026-11-01', NEW_YORK);
    expect(ny.map((t) => t.toISO())).toEqual(['2026-11-01T01:00:00.000-04:00']);
  });

  it('the seeds\' default (01:00 in Europe/Paris) fires at 00:00 UTC in winter and 23:00 UTC in summer', () => {
    const entries = entriesFor('01:00', PARIS);
    expect(entries.filter((l) => !l.startsWith('#')).map((l) => l.split(' ').slice(0, 6).join(' '))).toEqual(['0 0,23 * * * root']);
    expect(firingsForDay(entries, '2026-01-15', PARIS).map((t) => t.toUTC().toISO())).toEqual(['2026-01-15T00:00:00.000Z']);
    expect(firingsForDay(entries, '2026-07-04', PARIS).map((t) => t.toUTC().toISO())).toEqual(['2026-07-03T23:00:00.000Z']);
  });

  it('"4:00 UTC" overrides the add-on\'s time zone: one cron line at 04:00 UTC, once per UTC day', () => {
    const entries = entriesFor('4:00 UTC', PARIS);
    expect(entries.filter((l) => !l.startsWith('#')).map((l) => l.split(' ').slice(0, 5).join(' '))).toEqual(['0 4 * * *']);
    for (const day of [...DST_DAYS[PARIS], '2026-06-01']) {
      expect(firingsForDay(entries, day, 'UTC').map((t) => t.toISO())).toEqual([`${day}T04:00:00.000Z`]);
    }
    expect(describeSchedule({ hour: 4, minute: 0, zone: 'UTC' }, PARIS)).toBe('daily at 04:00 UTC');
  });

  it('runs once on every local day of 2026 and 2027, at the chosen time or just after a jump over it', { timeout: 60_000 }, () => {
    for (const zone of [PARIS, NEW_YORK]) {
      for (const time of TIMES) {
        const [hour, minute] = time.split(':').map(Number) as [number, number];
        const target = hour * 60 + minute;
        const fired = simulateFirings(entriesFor(time, zone), '2025-12-30T00:00:00Z', '2028-01-03T00:00:00Z').map((t) => t.toMillis());
        const perDay = new Map<string, number[]>();
        for (const ms of fired) {
          const { date } = wall(ms, zone);
          perDay.set(date, [...(perDay.get(date) ?? []), ms]);
        }
        const wrong: string[] = [];
        let days = 0;
        for (let d = Date.UTC(2026, 0, 1); d < Date.UTC(2028, 0, 1); d += 1440 * MINUTE, days++) {
          const date = new Date(d).toISOString().slice(0, 10);
          const runs = perDay.get(date) ?? [];
          if (runs.length !== 1) {
            wrong.push(`${zone} ${time} ${date}: ${runs.length} runs`);
            continue;
          }
          const at = wall(runs[0]!, zone);
          const before = wall(runs[0]! - MINUTE, zone);
          // At or after the chosen time, and the minute before was still before it (or the day before).
          if (at.minutes < target || (before.date === date && before.minutes >= target)) wrong.push(`${zone} ${time} ${date}: ran at ${iso(runs[0])}`);
        }
        expect(wrong).toEqual([]);
        expect(days).toBe(730);
      }
    }
  });

  it('any zone, any time, any day: one run at the first local minute at or after the chosen time', { timeout: 60_000 }, () => {
    const zones = [PARIS, NEW_YORK, 'Europe/London', 'Australia/Lord_Howe', 'America/Santiago', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'Asia/Tehran', 'Africa/Casablanca', 'UTC'];
    const dstDays = [...DST_DAYS[PARIS], ...DST_DAYS[NEW_YORK], '2026-04-05', '2026-09-06', '2026-10-04', '2027-04-04'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 23 }),
        fc.oneof(fc.constantFrom(0, 30, 59), fc.integer({ min: 0, max: 59 })),
        fc.oneof(fc.constantFrom(...dstDays), fc.integer({ min: 0, max: 729 }).map((n) => new Date(Date.UTC(2026, 0, 1) + n * 1440 * MINUTE).toISOString().slice(0, 10))),
        (zone, hour, minute, day) => {
          const entries = cronEntries({ hour, minute }, zone, { command: 'true', addon: 'app' });
          const got = firingsForDay(entries, day, zone).map((t) => t.toMillis());
          expect(got.map(iso)).toEqual([iso(expectedFiring(day, zone, hour, minute))]);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('schedule: the cron lines', () => {
  it('Europe/Paris 03:00 fires at 01:00 and 02:00 UTC, guarded by the local time and the day stamp', () => {
    const lines = entriesFor('03:00', PARIS);
    const jobs = lines.filter((l) => !l.startsWith('#'));
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job.startsWith('0 1,2 * * * root ')).toBe(true);
    expect(job).toContain(`TZ='Europe/Paris' date '+\\%F 1\\%H\\%M'`);
    expect(job).toContain('-ge 10300');
    expect(job).toContain("'/var/lib/dbform/app/last-backup-day'");
    expect(job).toContain('{ /usr/local/bin/dbform-backup app daily; }');
    // Every % is escaped for cron; nothing else in the line is a bare %.
    expect(job.replace(/\\%/g, '')).not.toContain('%');
    expect(lines[0]).toBe('# dbform: backups of app, daily at 03:00 Europe/Paris, exactly once per local day.');
  });

  it('02:30 adds the UTC minute of the spring-forward change', () => {
    expect(schedulePlan({ hour: 2, minute: 30 }, PARIS).times).toEqual([
      { minute: 0, hours: [1] },
      { minute: 30, hours: [0, 1] },
    ]);
    expect(schedulePlan({ hour: 2, minute: 30 }, NEW_YORK).times).toEqual([
      { minute: 0, hours: [7] },
      { minute: 30, hours: [6, 7] },
    ]);
    expect(schedulePlan({ hour: 12, minute: 0 }, 'Asia/Kolkata').times).toEqual([{ minute: 30, hours: [6] }]);
  });

  it('describes the schedule in words', () => {
    expect(describeSchedule({ hour: 3, minute: 0 }, PARIS)).toBe('daily at 03:00 Europe/Paris');
    expect(describeSchedule({ hour: 1, minute: 5, zone: 'America/New_York' }, PARIS)).toBe('daily at 01:05 America/New_York');
  });

  it('honours the user and the state directory, and escapes % in the command', () => {
    const [, , , job] = cronEntries({ hour: 1, minute: 0 }, 'UTC', { command: 'backup --label "100%"', addon: 'shop-db', user: 'dbform', stateDir: '/srv/state/' });
    expect(job).toMatch(/^0 1 \* \* \* dbform /);
    expect(job).toContain("'/srv/state/shop-db/last-backup-day'");
    expect(job).toContain('backup --label "100\\%"');
  });

  it('rejects what cannot be written safely', () => {
    const ok = { command: 'true', addon: 'app' };
    expect(() => cronEntries({ hour: 24, minute: 0 }, PARIS, ok)).toThrow(/time of day/);
    expect(() => cronEntries({ hour: 1, minute: 0 }, 'Mars/Olympus', ok)).toThrow(/time zone/);
    expect(() => cronEntries({ hour: 1, minute: 0 }, PARIS, { ...ok, addon: '../etc' })).toThrow(/state directory/);
    expect(() => cronEntries({ hour: 1, minute: 0 }, PARIS, { ...ok, user: 'root; rm' })).toThrow(/user/);
    expect(() => cronEntries({ hour: 1, minute: 0 }, PARIS, { ...ok, command: 'a\nb' })).toThrow(/one non-empty line/);
    expect(() => cronEntries({ hour: 1, minute: 0 }, PARIS, { ...ok, stateDir: "/tmp/it's" })).toThrow(/absolute path/);
  });

  it('the simulator reads plain cron lines too (no guard: every match fires)', () => {
    const fired = simulateFirings(['# comment', 'SHELL=/bin/sh', '*/30 9-10 * * 1 root true'], '2026-06-15T00:00:00Z', '2026-06-17T00:00:00Z');
    expect(fired.map((t) => t.toISO())).toEqual([
      '2026-06-15T09:00:00.000Z', '2026-06-15T09:30:00.000Z', '2026-06-15T10:00:00.000Z', '2026-06-15T10:30:00.000Z',
    ]);
  });
});

// The guard as /bin/sh runs it: `date` is replaced by one that answers for a chosen instant (GNU date -d @EPOCH,
// in the TZ the guard sets), and the command records when it ran. The shell must agree with the simulator.
const canRunShell = existsSync('/bin/sh') && existsSync('/usr/share/zoneinfo/Europe/Paris') && existsSync('/usr/share/zoneinfo/America/New_York');

describe('schedule: the guard under /bin/sh agrees with the simulation', () => {
  it('has /bin/sh and tzdata to run the guard (a missing prerequisite is a failure, not a skip)', () => {
    expect(canRunShell).toBe(true);
  });

  const cases: [string, string, string][] = [
    [PARIS, '02:30', '2026-03-29'],
    [PARIS, '02:30', '2026-10-25'],
    [PARIS, '00:30', '2026-10-25'],
    [NEW_YORK, '01:00', '2026-11-01'],
    [NEW_YORK, '23:59', '2026-03-08'],
  ];
  for (const [zone, time, day] of cases) {
    it(`${zone} ${time} around ${day}`, { timeout: 30_000 }, () => {
      const dir = mkdtempSync(join(tmpdir(), 'dbform-cron-'));
      try {
        const fakeBin = join(dir, 'bin');
        execFileSync('mkdir', ['-p', fakeBin]);
        writeFileSync(join(fakeBin, 'date'), '#!/bin/sh\nexec /bin/date -d "@$FAKE_EPOCH" "$@"\n');
        chmodSync(join(fakeBin, 'date'), 0o755);
        const ranFile = join(dir, 'ran');
        const at = parseScheduleAt(time);
        if (typeof at === 'string') throw new Error(at);
        const entries = cronEntries(at, zone, { command: `echo "$FAKE_EPOCH" >> '${ranFile}'`, addon: 'app', stateDir: join(dir, 'state') });
        const jobs = entries.filter((l) => !l.startsWith('#')).map((l) => {
          const [min, hours, , , , , ...command] = l.split(' ');
          return { minute: Number(min), hours: hours!.split(',').map(Number), command: command.join(' ').replace(/\\%/g, '%') };
        });
        const [y, m, d] = day.split('-').map(Number) as [number, number, number];
        const from = Date.UTC(y, m - 1, d - 1);
        const to = Date.UTC(y, m - 1, d + 2);
        for (let ms = from; ms < to; ms += MINUTE) {
          const t = new Date(ms);
          for (const job of jobs) {
            if (job.minute !== t.getUTCMinutes() || !job.hours.includes(t.getUTCHours())) continue;
            execFileSync('/bin/sh', ['-c', job.command], { env: { PATH: `${fakeBin}:/usr/bin:/bin`, FAKE_EPOCH: String(ms / 1000) } });
          }
        }
        const ran = existsSync(ranFile) ? readFileSync(ranFile, 'utf8').trim().split('\n').map((s) => Number(s) * 1000) : [];
        const simulated = simulateFirings(entries, new Date(from).toISOString(), new Date(to).toISOString()).map((t) => t.toMillis());
        expect(ran.map(iso)).toEqual(simulated.map(iso));
        expect(ran.length).toBeGreaterThanOrEqual(2);
        expect(readFileSync(join(dir, 'state', 'app', 'last-backup-day'), 'utf8').trim()).toBe(wall(ran[ran.length - 1]!, zone).date);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
