// Pure: what a drill leaves in the add-on's storage, and what drift judges of it. One small JSON record per
// drill, at `.drills/ADDON/ID-ok.json` or `ID-failed.json`: beside the add-on's backups (ADDON/...) and PITR
// repository (.pgbackrest/ADDON) without meeting them (add-on names never start with a dot, and neither the
// backup listing nor the host's retention reads outside ADDON/). The outcome is in the key, so drift judges
// the last successful drill from a listing alone, without reading any record.

export interface DatabaseCount {
  name: string;
  tables: number;
  rows: number;
}

export interface DrillCheck {
  /** `logical`: the latest successful logical backup; `pitr`: the latest point of the PITR window. */
  kind: 'logical' | 'pitr';
  /** What was restored: the backup id, or the PITR point and its base backup. */
  source: string;
  ok: boolean;
  /** From the first byte read to the restored instance checked: the recovery time (RTO) of this path. */
  seconds: number;
  tables: number;
  rows: number;
  databases: DatabaseCount[];
  error?: string;
}

export interface DrillRecord {
  id: string;
  addon: string;
  host: string;
  startedAt: string;
  endedAt: string;
  ok: boolean;
  checks: DrillCheck[];
}

/** Days after which drift reports an add-on's last successful drill (once it has been drilled at all). */
export const DRILL_MAX_AGE_DAYS = 7;
/** Records kept per add-on; older ones are deleted after each drill (the newest successful one always stays). */
export const DRILL_RECORDS_KEPT = 100;

const KEY = /^\.drills\/([a-z][a-z0-9-]*)\/(\d{8}T\d{6}Z)-(ok|failed)\.json$/;

export function drillPrefix(addon: string): string {
  return `.drills/${addon}/`;
}

/** A drill's id: its start, to the second, in UTC (sorts by time). */
export function drillId(startedAt: Date): string {
  return startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export function drillKey(record: Pick<DrillRecord, 'addon' | 'id' | 'ok'>): string {
  return `${drillPrefix(record.addon)}${record.id}-${record.ok ? 'ok' : 'failed'}.json`;
}

export interface DrillEntry {
  key: string;
  at: Date;
  ok: boolean;
}

/** A listed key as a drill's time and outcome, or null when it is not a drill record. */
export function parseDrillKey(key: string): DrillEntry | null {
  const m = KEY.exec(key);
  if (!m) return null;
  const id = m[2]!;
  const at = new Date(`${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:${id.slice(11, 13)}:${id.slice(13, 15)}Z`);
  return Number.isNaN(at.getTime()) ? null : { key, at, ok: m[3] === 'ok' };
}

/** The record as stored: one line of JSON. */
export function renderDrillRecord(record: DrillRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/**
 * Why an add-on's drills are overdue, or null. `keys`: the listing of its drill records. An add-on that was
 * never drilled is not reported (drills are opt-in); one drilled at least once must have a successful drill
 * within `maxDays`.
 */
export function overdueDrill(addon: string, keys: string[], now: Date, maxDays = DRILL_MAX_AGE_DAYS): string | null {
  const entries = keys.map(parseDrillKey).filter((e): e is DrillEntry => e !== null);
  if (!entries.length) return null;
  const limit = now.getTime() - maxDays * 86_400_000;
  const newest = (list: DrillEntry[]) => list.reduce((a, b) => (b.at > a.at ? b : a));
  const good = entries.filter((e) => e.ok);
  if (good.length && newest(good).at.getTime() >= limit) return null;
  const last = newest(entries);
  const lastSaid = last.ok ? '' : `; the last drill, ${last.at.toISOString()}, failed`;
  if (!good.length) return `add-on ${addon}: no successful restore drill${lastSaid} (dbform backups drill ${addon})`;
  return `add-on ${addon}: the last successful restore drill (${newest(good).at.toISOString()}) is older than ${maxDays} days${lastSaid} (dbform backups drill ${addon})`;
}

/** The records to delete after a drill: all but the newest `kept`, never the newest successful one. */
export function drillRecordsToPrune(keys: string[], kept = DRILL_RECORDS_KEPT): string[] {
  const entries = keys.map(parseDrillKey).filter((e): e is DrillEntry => e !== null).sort((a, b) => b.at.getTime() - a.at.getTime());
  const newestGood = entries.find((e) => e.ok);
  return entries.slice(kept).filter((e) => e !== newestGood).map((e) => e.key);
}
