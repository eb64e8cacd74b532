// Which backups of an add-on to keep and which to prune (SPEC "Backups, retention, PITR"; issue 5; the seeds:
// "a daily backup is retained for the last 7 days ... one for each of the last 7 days. A weekly backup means that
// only one backup is saved over a 7 days period. A monthly backup means that only 1 backup is saved over the
// course of a month", plus a cap on manual backups).
//
// Pure: no I/O and no clock. `now` and the add-on's time zone are parameters, so the same history always gives
// the same answer, and a history can be judged "as of" any instant.
//
// The rules, in the order they are applied (a backup is kept when any rule keeps it):
//  1. Never pruned, whatever the plan says (the safety rules):
//     - a record whose start time cannot be read (we cannot place it, so we do not judge it);
//     - a record that started after `now` (a clock jump on a host or here: we do not trust our own window);
//     - a backup still running (being written), unless it started 24 hours ago or more: then it died without
//       writing its final record, and counts as a failed backup;
//     - the newest verified good backup, of any kind;
//     - a failed backup's evidence until a newer good backup exists: a failed backup started at or after the
//       newest good backup that this pruning keeps is kept (a good backup pruned in the same pass does not count).
//  2. Scheduled (kind `daily`) good backups: the newest of each of the last `daily` local calendar days, of each
//     of the last `weekly` ISO weeks (Monday to Sunday) and of each of the last `monthly` calendar months, all in
//     the add-on's time zone, counted back from `now`'s local day, week and month (which count as the first).
//     A day, week or month without any good backup simply keeps nothing: windows are calendar periods, not a
//     count of backups, so a gap in the history does not stretch the window back in time.
//  3. Manual good backups: the newest `manual` of them.
// Everything else is pruned, each with a reason. "Good" means status `ok`; verified or not does not matter
// for rules 2 and 3. Records in the future take no part in rules 1 (newest good / newest verified), 2 and 3, so
// that one wrongly dated record cannot push the real ones out of their windows.
//
// Time stamps are ISO 8601; one without an offset is read as UTC. "Newest" orders by start time, then by id.

import { DateTime, IANAZone } from 'luxon';

export interface BackupRecord {
  id: string;
  addon: string;
  kind: 'daily' | 'manual';
  status: 'running' | 'ok' | 'failed';
  verified: boolean;
  /** ISO 8601 instant the backup started. */
  startedAt: string;
  /** ISO 8601 instant the backup ended (absent while running). */
  endedAt?: string;
}

/** How many backups of each kind to keep (the plan catalog's `retention`). */
export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly: number;
  manual: number;
}

export interface RetentionOptions {
  /** The instant retention is judged at (ISO 8601). */
  now: string;
  /** The add-on's IANA time zone: local days, weeks and months are counted in it. */
  timezone: string;
}

export interface PrunedBackup {
  id: string;
  reason: string;
}

export interface RetentionResult {
  keep: Set<string>;
  /** Sorted by start time, then id. No id appears here that is also in `keep`. */
  prune: PrunedBackup[];
}

interface Placed {
  rec: BackupRecord;
  ms: number;
}

/** A backup still marked running this long after its start is taken for a failed one. */
export const ABANDONED_AFTER_MS = 24 * 3600 * 1000;

export function keptBackups(records: readonly BackupRecord[], policy: RetentionPolicy, opts: RetentionOptions): RetentionResult {
  if (!IANAZone.isValidZone(opts.timezone)) throw new RangeError(`retention: unknown time zone ${JSON.stringify(opts.timezone)}`);
  const nowMs = instantMs(opts.now);
  if (nowMs === undefined) throw new RangeError(`retention: "now" is not an ISO 8601 instant: ${JSON.stringify(opts.now)}`);
  const zone = opts.timezone;
  const limits = {
    daily: count(policy.daily),
    weekly: count(policy.weekly),
    monthly: count(policy.monthly),
    manual: count(policy.manual),
  };

  const keep = new Set<string>();
  const past: Placed[] = [];
  for (const rec of records) {
    const ms = instantMs(rec.startedAt);
    if (ms === undefined || ms > nowMs) keep.add(rec.id);
    // A backup "running" for a day died without its final record (host or storage down): it is a failure.
    else if (rec.status === 'running' && nowMs - ms >= ABANDONED_AFTER_MS) past.push({ rec: { ...rec, status: 'failed' }, ms });
    else if (rec.status !== 'ok' && rec.status !== 'failed') keep.add(rec.id); // running (or a status we do not know)
    else past.push({ rec, ms });
  }
  // Newest first: every "newest of" below is the first match in this order.
  past.sort((a, b) => b.ms - a.ms || cmp(b.rec.id, a.rec.id));

  const good = past.filter((p) => p.rec.status === 'ok');
  const newestVerified = good.find((p) => p.rec.verified);
  if (newestVerified) keep.add(newestVerified.rec.id);

  // Scheduled backups: the newest of each period, for the periods inside each window.
  const nowLocal = DateTime.fromMillis(nowMs, { zone });
  const nowDay = dayNumber(nowLocal);
  const nowWeek = weekNumber(nowLocal);
  const nowMonth = monthNumber(nowLocal);
  const winners = { day: new Map<number, Placed>(), week: new Map<number, Placed>(), month: new Map<number, Placed>() };
  const periods = new Map<Placed, { day: number; week: number; month: number; label: string }>();
  for (const p of good) {
    if (p.rec.kind !== 'daily') continue;
    const local = DateTime.fromMillis(p.ms, { zone });
    const at = { day: dayNumber(local), week: weekNumber(local), month: monthNumber(local), label: local.toISODate() ?? '' };
    periods.set(p, at);
    if (!winners.day.has(at.day)) winners.day.set(at.day, p);
    if (!winners.week.has(at.week)) winners.week.set(at.week, p);
    if (!winners.month.has(at.month)) winners.month.set(at.month, p);
  }
  for (const [day, p] of winners.day) if (nowDay - day < limits.daily) keep.add(p.rec.id);
  for (const [week, p] of winners.week) if (nowWeek - week < limits.weekly) keep.add(p.rec.id);
  for (const [month, p] of winners.month) if (nowMonth - month < limits.monthly) keep.add(p.rec.id);

  const manuals = good.filter((p) => p.rec.kind === 'manual');
  for (const p of manuals.slice(0, limits.manual)) keep.add(p.rec.id);

  // Failed backups are evidence until a newer good backup exists, and the good backup must itself survive
  // this pruning: otherwise the evidence would go in the same pass as the backup that made it obsolete.
  const newestKeptGood = good.find((p) => keep.has(p.rec.id));
  for (const p of past) {
    if (p.rec.status === 'failed' && (newestKeptGood === undefined || p.ms >= newestKeptGood.ms)) keep.add(p.rec.id);
  }

  const pruned = new Map<string, Placed & { reason: string }>();
  for (const p of past) {
    if (keep.has(p.rec.id) || pruned.has(p.rec.id)) continue;
    pruned.set(p.rec.id, { ...p, reason: pruneReason(p) });
  }
  const prune = [...pruned.values()]
    .sort((a, b) => a.ms - b.ms || cmp(a.rec.id, b.rec.id))
    .map((p) => ({ id: p.rec.id, reason: p.reason }));
  return { keep, prune };

  function pruneReason(p: Placed): string {
    if (p.rec.status === 'failed') {
      return `failed backup; a newer good backup is kept (${newestKeptGood?.rec.id ?? '?'})`;
    }
    if (p.rec.kind === 'manual') {
      return limits.manual === 0
        ? 'manual backup; the plan keeps no manual backups'
        : `manual backup older than the newest ${limits.manual} manual backups`;
    }
    const at = periods.get(p);
    if (at === undefined) return 'not kept by any retention rule';
    if (nowDay - at.day < limits.daily) return `superseded by ${winnerId(winners.day, at.day)}, the newest backup of ${at.label}`;
    if (nowWeek - at.week < limits.weekly) return `superseded by ${winnerId(winners.week, at.week)}, the newest backup of its week (${at.label})`;
    if (nowMonth - at.month < limits.monthly) return `superseded by ${winnerId(winners.month, at.month)}, the newest backup of its month (${at.label})`;
    return (
      `daily backup of ${at.label} is outside the retention windows ` +
      `(last ${limits.daily} days, ${limits.weekly} weeks, ${limits.monthly} months)`
    );
  }
}

function winnerId(map: Map<number, Placed>, key: number): string {
  return map.get(key)?.rec.id ?? '?';
}

/** Milliseconds since the epoch, or undefined when `iso` is not an ISO 8601 instant. No offset means UTC. */
function instantMs(iso: string): number | undefined {
  if (typeof iso !== 'string') return undefined;
  const dt = DateTime.fromISO(iso, { zone: 'utc' });
  return dt.isValid ? dt.toMillis() : undefined;
}

function count(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/** Consecutive integers for consecutive local calendar days (independent of the length of the days). */
function dayNumber(local: DateTime): number {
  return Math.round(Date.UTC(local.year, local.month - 1, local.day) / 86_400_000);
}

/** Consecutive integers for consecutive ISO weeks: the day number of the week's Monday, divided by 7. */
function weekNumber(local: DateTime): number {
  // Day 0 (1970-01-01) was a Thursday; +3 makes Mondays multiples of 7.
  return Math.floor((dayNumber(local) + 3) / 7);
}

function monthNumber(local: DateTime): number {
  return local.year * 12 + (local.month - 1);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
