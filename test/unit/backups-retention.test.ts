// Retention (SPEC "Backups, retention, PITR"; issue 5): readable examples in the seeds' words, then a property
// test over random histories whose expected kept set is derived here, independently, record by record.
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { type BackupRecord, type RetentionPolicy, keptBackups } from '../../src/resources/backups/retention.js';
import { lookupPlan } from '../../src/config/tiers.js';

const PARIS = 'Europe/Paris';
const STARTER = lookupPlan('postgresql-starter-512')!.retention;
const BUSINESS = lookupPlan('postgresql-business-1024')!.retention;
const SANDBOX = lookupPlan('postgresql-sandbox')!.retention;

/** A good scheduled backup taken at `time` local on the local day `date` (Paris unless told). */
function daily(id: string, date: string, time = '01:00', extra: Partial<BackupRecord> = {}, zone = PARIS): BackupRecord {
  const startedAt = DateTime.fromISO(`${date}T${time}`, { zone }).toISO()!;
  return { id, addon: 'app', kind: 'daily', status: 'ok', verified: false, startedAt, ...extra };
}

function manual(id: string, date: string, time = '12:00', extra: Partial<BackupRecord> = {}): BackupRecord {
  return { ...daily(id, date, time, extra), kind: 'manual', ...extra };
}

/** One scheduled backup per local day, for `days` days ending on `last`, ids "d-YYYY-MM-DD". */
function dailyRun(last: string, days: number, zone = PARIS): BackupRecord[] {
  const end = DateTime.fromISO(last, { zone });
  return Array.from({ length: days }, (_, i) => {
    const date = end.minus({ days: i }).toISODate()!;
    return daily(`d-${date}`, date, '01:00', {}, zone);
  });
}

const ids = (rs: BackupRecord[]) => rs.map((r) => r.id);

describe('retention, in the seeds\' words', () => {
  const now = DateTime.fromISO('2026-06-15T09:00', { zone: PARIS }).toISO()!; // a Monday
  const opts = { now, timezone: PARIS };

  it('"7 backups will exist, one for each of the last 7 days" (daily only)', () => {
    const history = dailyRun('2026-06-15', 30);
    const { keep } = keptBackups(history, { ...STARTER, weekly: 0 }, opts);
    expect([...keep].sort()).toEqual(
      ['2026-06-09', '2026-06-10', '2026-06-11', '2026-06-12', '2026-06-13', '2026-06-14', '2026-06-15'].map((d) => `d-${d}`),
    );
  });

  it('keeps the newest backup of a day when a day has several, and prunes the others with a reason', () => {
    const history = [daily('early', '2026-06-14', '01:00'), daily('late', '2026-06-14', '01:05'), ...dailyRun('2026-06-13', 3)];
    const { keep, prune } = keptBackups(history, SANDBOX_WITH_DAYS(7), opts);
    expect(keep.has('late')).toBe(true);
    expect(prune).toEqual([{ id: 'early', reason: 'superseded by late, the newest backup of 2026-06-14' }]);
  });

  it('a gap of missing days does not stretch the 7-day window back in time', () => {
    const history = [...dailyRun('2026-06-15', 2), ...dailyRun('2026-06-05', 10)];
    const { keep } = keptBackups(history, SANDBOX_WITH_DAYS(7), opts);
    expect([...keep].sort()).toEqual(['d-2026-06-14', 'd-2026-06-15']);
  });

  it('starter: 7 daily, 4 weekly, 0 monthly, 10 manual', () => {
    const history = [...dailyRun('2026-06-15', 120), ...Array.from({ length: 15 }, (_, i) => manual(`m${String(i).padStart(2, '0')}`, `2026-05-${String(i + 1).padStart(2, '0')}`))];
    const { keep, prune } = keptBackups(history, STARTER, opts);
    // Weeks (Monday to Sunday) of the last 4 weeks: this week (Mon 15 June, whose newest is today's), and the
    // weeks ending Sunday 14, 7 and 31 May. Their newest backups are on those Sundays.
    expect([...keep].filter((id) => id.startsWith('d-')).sort()).toEqual(
      ['2026-05-31', '2026-06-07', '2026-06-09', '2026-06-10', '2026-06-11', '2026-06-12', '2026-06-13', '2026-06-14', '2026-06-15'].map((d) => `d-${d}`),
    );
    expect([...keep].filter((id) => id.startsWith('m')).sort()).toEqual(['m05', 'm06', 'm07', 'm08', 'm09', 'm10', 'm11', 'm12', 'm13', 'm14']);
    expect(prune.find((p) => p.id === 'm04')?.reason).toBe('manual backup older than the newest 10 manual backups');
    expect(prune.find((p) => p.id === 'd-2026-03-01')?.reason).toBe(
      'daily backup of 2026-03-01 is outside the retention windows (last 7 days, 4 weeks, 0 months)',
    );
  });

  it('business: 7 daily, 8 weekly, 12 monthly, 50 manual', { timeout: 60_000 }, () => {
    const history = [...dailyRun('2026-06-15', 500), ...Array.from({ length: 60 }, (_, i) => manual(`m${String(i).padStart(2, '0')}`, DateTime.fromISO('2026-04-01').plus({ days: i }).toISODate()!))];
    const { keep } = keptBackups(history, BUSINESS, opts);
    const kept = [...keep].filter((id) => id.startsWith('d-')).map((id) => id.slice(2)).sort();
    const months = ['2025-07-31', '2025-08-31', '2025-09-30', '2025-10-31', '2025-11-30', '2025-12-31', '2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31', '2026-06-15'];
    const weeks = ['2026-05-03', '2026-05-10', '2026-05-17', '2026-05-24', '2026-05-31', '2026-06-07', '2026-06-14', '2026-06-15'];
    const days = ['2026-06-09', '2026-06-10', '2026-06-11', '2026-06-12', '2026-06-13', '2026-06-14', '2026-06-15'];
    expect(kept).toEqual([...new Set([...months, ...weeks, ...days])].sort());
    expect([...keep].filter((id) => id.startsWith('m')).length).toBe(50);
    expect(keep.has('m10') && !keep.has('m09')).toBe(true);
  });

  it('sandbox keeps only what must never be deleted', () => {
    const history = [
      ...dailyRun('2026-06-10', 5),
      daily('verified', '2026-06-11', '01:00', { verified: true }),
      daily('newer-unverified', '2026-06-12'),
      { ...daily('broken', '2026-06-14'), status: 'failed' as const },
      { ...daily('writing', '2026-06-15', '08:59'), status: 'running' as const },
    ];
    const { keep, prune } = keptBackups(history, SANDBOX, opts);
    expect([...keep].sort()).toEqual(['broken', 'verified', 'writing']);
    expect(prune.map((p) => p.id)).toEqual([...ids(dailyRun('2026-06-10', 5)).reverse(), 'newer-unverified']);
  });

  it('never deletes the newest verified backup, even an old manual one', () => {
    const history = [manual('old-verified', '2025-01-01', '12:00', { verified: true }), ...dailyRun('2026-06-15', 10)];
    const { keep } = keptBackups(history, { daily: 7, weekly: 0, monthly: 0, manual: 0 }, opts);
    expect(keep.has('old-verified')).toBe(true);
  });

  it('keeps a failed backup until a newer good backup is kept, then prunes it', () => {
    const failed = { ...daily('failed', '2026-06-14'), status: 'failed' as const };
    expect(keptBackups([daily('before', '2026-06-13'), failed], STARTER, opts).keep.has('failed')).toBe(true);
    const after = keptBackups([daily('before', '2026-06-13'), failed, daily('after', '2026-06-15')], STARTER, opts);
    expect(after.keep.has('failed')).toBe(false);
    expect(after.prune).toEqual([{ id: 'failed', reason: 'failed backup; a newer good backup is kept (after)' }]);
  });

  it('keeps records dated after now (a clock jump) and does not let them displace today\'s backup', () => {
    const future = daily('future', '2026-06-15', '23:00');
    const { keep } = keptBackups([future, ...dailyRun('2026-06-15', 10)], SANDBOX_WITH_DAYS(1), opts);
    expect([...keep].sort()).toEqual(['d-2026-06-15', 'future']);
  });

  it('counts local days in the add-on\'s zone across the spring-forward day', () => {
    // 2026-03-29 in Paris is 23 hours long: the backups of 28, 29 and 30 March are three days.
    const nowSpring = DateTime.fromISO('2026-03-30T12:00', { zone: PARIS }).toISO()!;
    const history = [daily('a', '2026-03-28', '23:30'), daily('b', '2026-03-29', '00:15'), daily('c', '2026-03-29', '23:59'), daily('d', '2026-03-30', '00:01')];
    const { keep } = keptBackups(history, SANDBOX_WITH_DAYS(3), { now: nowSpring, timezone: PARIS });
    expect([...keep].sort()).toEqual(['a', 'c', 'd']);
    // Seen from New York the same instants fall on other local days: a and b on 28 March, c and d on the 29th.
    const { keep: ny } = keptBackups(history, SANDBOX_WITH_DAYS(3), { now: nowSpring, timezone: 'America/New_York' });
    expect([...ny].sort()).toEqual(['b', 'd']);
  });

  it('rejects an unknown time zone and an unreadable now', () => {
    expect(() => keptBackups([], STARTER, { now: '2026-01-01T00:00:00Z', timezone: 'Mars/Olympus' })).toThrow(/time zone/);
    expect(() => keptBackups([], STARTER, { now: 'yesterday', timezone: PARIS })).toThrow(/now/);
  });
});

function SANDBOX_WITH_DAYS(days: number): RetentionPolicy {
  return { ...SANDBOX, daily: days };
}

// ---- the property -------------------------------------------------------------------------------------------

/** Local calendar date of an instant in a zone, from Intl (not luxon, which the implementation uses). */
const formatters = new Map<string, Intl.DateTimeFormat>();
function localDate(ms: number, zone: string): { y: number; m: number; d: number } {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: 'numeric', day: 'numeric' });
    formatters.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(ms).map((p) => [p.type, p.value]));
  return { y: Number(parts.year), m: Number(parts.month), d: Number(parts.day) };
}

const DAY_MS = 86_400_000;

/** How many calendar days, ISO weeks and months back from now's local day an instant's local day lies. */
function periodsBack(ms: number, nowMs: number, zone: string): { days: number; weeks: number; months: number; key: string } {
  const a = localDate(ms, zone);
  const b = localDate(nowMs, zone);
  const dayA = Date.UTC(a.y, a.m - 1, a.d);
  const dayB = Date.UTC(b.y, b.m - 1, b.d);
  const monday = (t: number) => t - ((new Date(t).getUTCDay() + 6) % 7) * DAY_MS;
  return {
    days: Math.round((dayB - dayA) / DAY_MS),
    weeks: Math.round((monday(dayB) - monday(dayA)) / (7 * DAY_MS)),
    months: b.y * 12 + b.m - (a.y * 12 + a.m),
    key: `${a.y}-${a.m}-${a.d}`,
  };
}

/** The expected kept set, decided record by record from the rules as written in the issue. */
function expectedKeep(records: BackupRecord[], policy: RetentionPolicy, nowIso: string, zone: string): Set<string> {
  const nowMs = Date.parse(nowIso);
  const time = (r: BackupRecord) => Date.parse(r.startedAt); // NaN when unreadable
  const inPast = records.filter((r) => time(r) <= nowMs);
  const newer = (a: BackupRecord, b: BackupRecord) => time(a) > time(b) || (time(a) === time(b) && a.id > b.id);
  const newestOf = (rs: BackupRecord[]) => rs.reduce<BackupRecord | undefined>((best, r) => (best === undefined || newer(r, best) ? r : best), undefined);

  // Group-by with maps: the winner of each day/week/month that lies inside its window.
  const scheduled = inPast.filter((r) => r.kind === 'daily' && r.status === 'ok');
  const groups = new Map<string, BackupRecord[]>();
  for (const r of scheduled) {
    const back = periodsBack(time(r), nowMs, zone);
    const at = localDate(time(r), zone);
    const mondayKey = new Date(Date.UTC(at.y, at.m - 1, at.d) - ((new Date(Date.UTC(at.y, at.m - 1, at.d)).getUTCDay() + 6) % 7) * DAY_MS).toISOString();
    const entries: [string, boolean][] = [
      [`day ${back.key}`, back.days < policy.daily],
      [`week ${mondayKey}`, back.weeks < policy.weekly],
      [`month ${at.y}-${at.m}`, back.months < policy.monthly],
    ];
    for (const [key, inWindow] of entries) {
      if (!inWindow) continue;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
  }
  const keep = new Set<string>();
  for (const rs of groups.values()) keep.add(newestOf(rs)!.id);

  const manuals = inPast.filter((r) => r.kind === 'manual' && r.status === 'ok');
  manuals.sort((a, b) => (newer(a, b) ? -1 : 1));
  for (const r of manuals.slice(0, policy.manual)) keep.add(r.id);

  const verified = newestOf(inPast.filter((r) => r.status === 'ok' && r.verified));
  if (verified) keep.add(verified.id);

  const abandoned = (r: BackupRecord) => r.status === 'running' && nowMs - time(r) >= 24 * 3600 * 1000;
  for (const r of records) {
    if (Number.isNaN(time(r)) || time(r) > nowMs || (r.status === 'running' && !abandoned(r))) keep.add(r.id);
  }
  const newestKeptGood = newestOf(inPast.filter((r) => r.status === 'ok' && keep.has(r.id)));
  for (const r of inPast) {
    if ((r.status === 'failed' || abandoned(r)) && (newestKeptGood === undefined || time(r) >= time(newestKeptGood))) keep.add(r.id);
  }
  return keep;
}

const ZONES = ['Europe/Paris', 'America/New_York', 'UTC', 'Australia/Lord_Howe'];
// Instants close to DST changes of 2026 and 2027 in Paris and New York, and ordinary ones.
const ANCHORS = [
  '2026-03-29T00:30:00Z', '2026-03-29T01:30:00Z', '2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z',
  '2026-03-08T06:30:00Z', '2026-03-08T07:30:00Z', '2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z',
  '2027-03-28T01:00:00Z', '2027-10-31T01:00:00Z', '2027-03-14T07:00:00Z', '2027-11-07T06:00:00Z',
  '2026-06-15T12:00:00Z', '2027-01-01T00:00:00Z', '2026-12-31T23:30:00Z',
].map((s) => Date.parse(s));

const MINUTE = 60_000;
const policyArb: fc.Arbitrary<RetentionPolicy> = fc.oneof(
  fc.constantFrom(SANDBOX, STARTER, BUSINESS),
  fc.record({ daily: fc.nat(10), weekly: fc.nat(10), monthly: fc.nat(14), manual: fc.nat(12) }),
);

const scenarioArb = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    now: fc.oneof(
      fc.tuple(fc.constantFrom(...ANCHORS), fc.integer({ min: -3 * 1440, max: 3 * 1440 })).map(([a, m]) => a + m * MINUTE),
      fc.integer({ min: Date.parse('2026-01-01T00:00:00Z') / MINUTE, max: Date.parse('2028-01-01T00:00:00Z') / MINUTE }).map((m) => m * MINUTE),
    ),
    policy: policyArb,
    entries: fc.array(
      fc.record({
        // Minutes before now: mostly recent (several a day, DST days near the anchors), some old, some in the future.
        back: fc.oneof(
          { weight: 5, arbitrary: fc.integer({ min: 0, max: 14 * 1440 }) },
          { weight: 3, arbitrary: fc.integer({ min: 0, max: 420 * 1440 }) },
          { weight: 1, arbitrary: fc.integer({ min: -3 * 1440, max: -1 }) },
          { weight: 1, arbitrary: fc.constantFrom(0, 1, 60, 1440, 1441, 1500, 2880) },
        ),
        kind: fc.constantFrom('daily' as const, 'daily' as const, 'manual' as const),
        status: fc.constantFrom('ok' as const, 'ok' as const, 'ok' as const, 'failed' as const, 'running' as const),
        verified: fc.boolean(),
        format: fc.constantFrom('utc', 'local', 'garbage', 'utc', 'local'),
      }),
      { maxLength: 400 },
    ),
  })
  .map(({ zone, now, policy, entries }) => {
    // Ids follow the order of the array, which is not the order of time (timestamps jump back and forth).
    const records: BackupRecord[] = entries.map((e, i) => {
      const ms = now - e.back * MINUTE;
      const startedAt =
        e.format === 'garbage' && i % 7 === 0
          ? 'not a time'
          : e.format === 'local'
            ? DateTime.fromMillis(ms, { zone }).toISO()!
            : new Date(ms).toISOString();
      return { id: `b${String(i).padStart(3, '0')}`, addon: 'app', kind: e.kind, status: e.status, verified: e.verified, startedAt };
    });
    return { zone, nowIso: new Date(now).toISOString(), policy, records };
  });

describe('retention property', () => {
  it('keeps exactly what the rules keep, and never a forbidden deletion', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(scenarioArb, ({ zone, nowIso, policy, records }) => {
        const { keep, prune } = keptBackups(records, policy, { now: nowIso, timezone: zone });
        const all = ids(records);
        const pruned = prune.map((p) => p.id);

        // keep ∪ prune = all ids, disjoint, nothing invented, nothing pruned twice.
        expect(new Set([...keep, ...pruned])).toEqual(new Set(all));
        expect(pruned.filter((id) => keep.has(id))).toEqual([]);
        expect(new Set(pruned).size).toBe(pruned.length);
        for (const p of prune) expect(p.reason.length).toBeGreaterThan(0);

        // Deterministic order: by start time, then id.
        const byId = new Map(records.map((r) => [r.id, r]));
        const t = (id: string) => Date.parse(byId.get(id)!.startedAt);
        for (let i = 1; i < pruned.length; i++) {
          const [a, b] = [pruned[i - 1]!, pruned[i]!];
          expect(t(a) < t(b) || (t(a) === t(b) && a < b)).toBe(true);
        }

        // The rules, re-derived.
        expect([...keep].sort()).toEqual([...expectedKeep(records, policy, nowIso, zone)].sort());

        // The never-delete rules, stated on their own.
        const readable = records.filter((r) => !Number.isNaN(Date.parse(r.startedAt)));
        const verified = readable.filter((r) => r.status === 'ok' && r.verified);
        const newestVerified = verified.reduce<BackupRecord | undefined>(
          (a, r) => (a === undefined || Date.parse(r.startedAt) > Date.parse(a.startedAt) || (Date.parse(r.startedAt) === Date.parse(a.startedAt) && r.id > a.id) ? r : a),
          undefined,
        );
        if (newestVerified) expect(keep.has(newestVerified.id)).toBe(true);
        for (const r of records) {
          // In progress (under a day): always kept. Older "running" records are failures (checked by expectedKeep).
          if (r.status === 'running' && Date.parse(nowIso) - Date.parse(r.startedAt) < 24 * 3600 * 1000) expect(keep.has(r.id)).toBe(true);
          if (Date.parse(r.startedAt) > Date.parse(nowIso)) expect(keep.has(r.id)).toBe(true);
        }
        const newestGoodKept = Math.max(-Infinity, ...readable.filter((r) => r.status === 'ok' && keep.has(r.id)).map((r) => Date.parse(r.startedAt)));
        for (const r of readable) {
          if (r.status === 'failed' && !keep.has(r.id)) expect(Date.parse(r.startedAt)).toBeLessThan(newestGoodKept);
        }

        // The same history in another order gives the same answer, and a second pass prunes nothing.
        const again = keptBackups([...records].reverse(), policy, { now: nowIso, timezone: zone });
        expect(again.prune).toEqual(prune);
        expect([...again.keep].sort()).toEqual([...keep].sort());
        const second = keptBackups(records.filter((r) => keep.has(r.id)), policy, { now: nowIso, timezone: zone });
        expect(second.prune).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('a daily history keeps at most daily + weekly + monthly scheduled backups and at most `manual` manual ones', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(scenarioArb, ({ zone, nowIso, policy, records }) => {
        const good = records.filter((r) => r.status === 'ok' && !Number.isNaN(Date.parse(r.startedAt)) && Date.parse(r.startedAt) <= Date.parse(nowIso));
        const { keep } = keptBackups(good.map((r) => ({ ...r, verified: false })), policy, { now: nowIso, timezone: zone });
        const kept = good.filter((r) => keep.has(r.id));
        expect(kept.filter((r) => r.kind === 'daily').length).toBeLessThanOrEqual(policy.daily + policy.weekly + policy.monthly);
        expect(kept.filter((r) => r.kind === 'manual').length).toBeLessThanOrEqual(policy.manual);
      }),
      { numRuns: 200 },
    );
  });
});
