import { DateTime } from 'luxon';
import { archiverFailing } from '../../resources/pitr/info.js';
import type { BackupManifest } from '../../resources/backups/manifest.js';
import type { PitrStatus } from '../../resources/pitr/info.js';
import { size } from './byte-size.js';

// How `dbform backups list` shows an add-on's point-in-time recovery: the window a restore can reach and the
// base backups it starts from, as text or (with --format json) as data.

const when = (iso: string, zone: string) => DateTime.fromISO(iso).setZone(zone).toFormat('yyyy-MM-dd HH:mm:ss ZZZZ');

export function pitrText(p: PitrStatus, zone: string): string {
  const lines: string[] = [];
  if (p.window) lines.push(`Point-in-time recovery: any time from ${when(p.window.earliest, zone)} to ${when(p.window.latest, zone)}.`);
  else lines.push(`Point-in-time recovery: no window yet (stanza ${p.stanza}: ${p.status}; no full base backup).`);
  const a = p.archiver;
  if (a) {
    const last = a.lastArchivedAt ? `last WAL ${a.lastArchivedWal} archived ${when(a.lastArchivedAt, zone)}` : 'no WAL archived yet';
    const failing = archiverFailing(a);
    lines.push(`WAL archiving: ${last}${failing ? `; FAILING since ${when(a.lastFailedAt!, zone)} (${a.lastFailedWal})` : ''}.`);
  } else {
    lines.push('WAL archiving: not read (the add-on is not running).');
  }
  if (!p.baseBackups.length) return lines.join('\n');
  const head = ['BASE BACKUP', 'TYPE', 'STARTED AT', 'FINISHED AT', 'SIZE', 'STORED', 'STATUS'];
  const body = p.baseBackups.map((b) => [b.id, b.type, when(b.startedAt, zone), when(b.finishedAt, zone), size(b.size), size(b.repositorySize), b.status]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  lines.push('', ...[head, ...body].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()));
  return lines.join('\n');
}

/** `backups list --format json`: the logical backups and, with PITR on, its window and base backups. */
export function listJson(addon: string, manifests: BackupManifest[], p: PitrStatus | null): unknown {
  return {
    addon,
    backups: manifests.map((m) => ({
      id: m.id,
      kind: m.kind,
      status: m.status,
      started_at: m.startedAt,
      ...(m.endedAt ? { ended_at: m.endedAt } : {}),
      ...(m.size !== undefined ? { size: m.size } : {}),
      ...(m.sha256 ? { sha256: m.sha256 } : {}),
      verified: m.verified === true,
      ...(m.host ? { host: m.host } : {}),
      ...(m.role ? { role: m.role } : {}),
    })),
    pitr: p && {
      stanza: p.stanza,
      status: p.status,
      window: p.window,
      base_backups: p.baseBackups.map((b) => ({
        id: b.id,
        type: b.type,
        status: b.status,
        started_at: b.startedAt,
        finished_at: b.finishedAt,
        size: b.size,
        stored_size: b.repositorySize,
        wal_start: b.walStart,
        wal_stop: b.walStop,
      })),
      archiver: p.archiver && {
        archived_count: p.archiver.archivedCount,
        last_archived_wal: p.archiver.lastArchivedWal,
        last_archived_at: p.archiver.lastArchivedAt,
        failed_count: p.archiver.failedCount,
        last_failed_wal: p.archiver.lastFailedWal,
        last_failed_at: p.archiver.lastFailedAt,
      },
    },
  };
}
