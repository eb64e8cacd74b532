import { DateTime } from 'luxon';
import { UserError } from '../../util/errors.js';

// Pure: what `dbform restore ADDON --to VALUE` asks for, checked against the PITR window before anything is
// touched. VALUE is `latest`, an RFC 3339 instant, or "YYYY-MM-DD HH:MM[:SS]" in the file's time zone.

export type RestoreTarget = { kind: 'latest' } | { kind: 'time'; iso: string };

export function parseRestoreTarget(value: string, timezone: string): RestoreTarget {
  const v = value.trim();
  if (v === 'latest') return { kind: 'latest' };
  const hasZone = /[zZ]$|[+-]\d\d:?\d\d$/.test(v);
  const t = hasZone ? DateTime.fromISO(v.replace(' ', 'T'), { setZone: true }) : DateTime.fromISO(v.replace(' ', 'T'), { zone: timezone });
  if (!t.isValid || !/^\d{4}-\d\d-\d\d[ T]\d\d:\d\d/.test(v)) {
    throw new UserError(`--to ${JSON.stringify(value)}: not a time: use latest, an RFC 3339 time (2026-11-30T10:15:00Z) or "2026-11-30 10:15:00" (${timezone})`);
  }
  return { kind: 'time', iso: t.toUTC().toISO()! };
}

/** Refuses a time outside the window (in the future, or before the oldest base backup ends), naming the window. */
export function checkTarget(target: RestoreTarget, window: { earliest: string; latest: string } | null, now: Date, timezone: string): void {
  if (!window) throw new UserError('no point-in-time recovery window yet: the first full base backup is missing (run dbform apply)');
  if (target.kind === 'latest') return;
  const show = (iso: string) => DateTime.fromISO(iso).setZone(timezone).toFormat('yyyy-MM-dd HH:mm:ss ZZZZ');
  const range = `the window is ${show(window.earliest)} to ${show(window.latest)}`;
  if (target.iso > now.toISOString()) throw new UserError(`--to ${show(target.iso)} is in the future; ${range}`);
  if (target.iso < window.earliest) throw new UserError(`--to ${show(target.iso)} is before the oldest base backup ends; ${range}`);
  if (target.iso > window.latest) throw new UserError(`--to ${show(target.iso)} is after the last archived WAL; ${range} (wait up to a minute for archiving, or use latest)`);
}

/** recovery_target_time as PostgreSQL reads it (UTC, milliseconds). */
export function pgTargetTime(iso: string): string {
  return DateTime.fromISO(iso, { zone: 'utc' }).toFormat('yyyy-MM-dd HH:mm:ss.SSS') + '+00';
}
