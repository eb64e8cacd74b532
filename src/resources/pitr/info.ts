// Pure: what `pgbackrest info --output=json` (and pg_stat_archiver) say about an add-on's stanza, turned into
// what `dbform backups list` shows: the full base backups and the PITR window (earliest and latest time a
// restore can reach).
//
// The window: a restore starts from a base backup and replays archived WAL, so the earliest reachable time
// is the end of the oldest base backup still kept (the first moment its copy is consistent), and the latest
// is the end of the newest archived WAL segment, which is when pg_stat_archiver saw it archived (a segment is
// archived right after it is closed, at most archive_timeout after the last commit it holds). Without the
// archiver's figures (the add-on is stopped), the latest is the end of the newest base backup.

export interface BaseBackup {
  /** pgBackRest's label, e.g. 20261130-101502F. */
  id: string;
  type: 'full' | 'diff' | 'incr';
  startedAt: string;
  finishedAt: string;
  /** Size of the database copied (bytes) and what it takes in the repository (compressed, encrypted). */
  size: number;
  repositorySize: number;
  walStart: string;
  walStop: string;
  status: 'ok' | 'error';
}

export interface ArchiverStats {
  archivedCount: number;
  lastArchivedWal: string | null;
  lastArchivedAt: string | null;
  failedCount: number;
  lastFailedWal: string | null;
  lastFailedAt: string | null;
}

export interface PitrStatus {
  stanza: string;
  /** pgBackRest's status of the stanza ("ok", or why not). */
  status: string;
  window: { earliest: string; latest: string } | null;
  baseBackups: BaseBackup[];
  archiver: ArchiverStats | null;
}

interface InfoBackup {
  label: string;
  type: string;
  error?: boolean;
  timestamp: { start: number; stop: number };
  info: { size: number; repository: { size: number } };
  archive: { start: string | null; stop: string | null };
}

interface InfoStanza {
  name: string;
  status: { code: number; message: string };
  backup: InfoBackup[];
}

const iso = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString();

function baseBackup(b: InfoBackup): BaseBackup {
  return {
    id: b.label,
    type: b.type === 'diff' || b.type === 'incr' ? b.type : 'full',
    startedAt: iso(b.timestamp.start),
    finishedAt: iso(b.timestamp.stop),
    size: b.info.size,
    repositorySize: b.info.repository.size,
    walStart: b.archive.start ?? '',
    walStop: b.archive.stop ?? '',
    status: b.error ? 'error' : 'ok',
  };
}

/** The stanza's status from `pgbackrest info --output=json` and pg_stat_archiver (null: not read). */
export function pitrStatus(infoJson: string, stanza: string, archiver: ArchiverStats | null): PitrStatus {
  const parsed = JSON.parse(infoJson) as InfoStanza[];
  const entry = parsed.find((s) => s.name === stanza);
  if (!entry) return { stanza, status: 'missing stanza', window: null, baseBackups: [], archiver };
  const baseBackups = (entry.backup ?? []).map(baseBackup).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const good = baseBackups.filter((b) => b.status === 'ok');
  let window: PitrStatus['window'] = null;
  if (good.length) {
    const newestEnd = good[good.length - 1]!.finishedAt;
    const archived = archiver?.lastArchivedAt ?? null;
    window = { earliest: good[0]!.finishedAt, latest: archived && archived > newestEnd ? archived : newestEnd };
  }
  return { stanza, status: entry.status.message, window, baseBackups, archiver };
}

/** One row of pg_stat_archiver as `row_to_json` prints it. */
/** Whether the archiver's last attempt failed: a failure newer than the last success. */
export function archiverFailing(a: ArchiverStats): boolean {
  return a.lastFailedAt !== null && (a.lastArchivedAt === null || a.lastFailedAt > a.lastArchivedAt);
}

export function parseArchiver(json: string): ArchiverStats {
  return archiverFromRow(JSON.parse(json) as Record<string, string | number | null>);
}

/** A row of pg_stat_archiver (as row_to_json gives it) as ArchiverStats, times in ISO 8601 UTC. */
export function archiverFromRow(r: Record<string, string | number | null>): ArchiverStats {
  const time = (v: string | number | null | undefined) => (v === null || v === undefined ? null : new Date(String(v)).toISOString());
  return {
    archivedCount: Number(r.archived_count ?? 0),
    lastArchivedWal: (r.last_archived_wal as string | null) ?? null,
    lastArchivedAt: time(r.last_archived_time),
    failedCount: Number(r.failed_count ?? 0),
    lastFailedWal: (r.last_failed_wal as string | null) ?? null,
    lastFailedAt: time(r.last_failed_time),
  };
}
