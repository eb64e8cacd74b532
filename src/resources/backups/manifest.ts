import type { BackupRecord } from './retention.js';

// The manifest stored next to each backup object (ADDON/ID.json): its one definition, written on the host
// (by dbform-backup.cjs, bundled from src/resources/backups/host/, which imports this file) and read by dbform
// (list, download, verify, prune) and on the host again (retention after each backup).
// One JSON object on one line, ending with a newline, so that a listing can concatenate manifests
// (`rclone cat`, `cat *.json`) and still be read back one per line.
export interface BackupManifest {
  id: string;
  addon: string;
  kind: 'daily' | 'manual';
  status: 'running' | 'ok' | 'failed';
  startedAt: string;
  endedAt?: string;
  /** Bytes of the stored (encrypted) object, and its SHA-256. */
  size?: number;
  sha256?: string;
  /** The size stored matched the size streamed when the upload ended. */
  verified?: boolean;
  pgVersion?: string;
  /** The host that took it: the add-on's, or the member of a highly available add-on whose turn it was. */
  host?: string;
  /** A highly available add-on's member that took it: its replica, or its primary when no replica was healthy. */
  role?: 'replica' | 'primary';
  format?: string;
}

/** What the stored object is: pg_dump's custom format, encrypted with age. */
export const BACKUP_FORMAT = 'pg_dump-custom+age';

/** An id names objects in the storage: letters, digits, `.`, `_`, `-` only, so it can never leave ADDON/. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The manifest as stored: its fields in a fixed order, one line. */
export function renderManifest(m: BackupManifest): string {
  if (!SAFE_ID.test(m.id)) throw new RangeError(`manifest: ${JSON.stringify(m.id)} is not a backup id`);
  const ordered: BackupManifest = {
    id: m.id,
    addon: m.addon,
    kind: m.kind,
    status: m.status,
    startedAt: m.startedAt,
    host: m.host,
    role: m.role,
    pgVersion: m.pgVersion,
    format: m.format,
    endedAt: m.endedAt,
    size: m.size,
    sha256: m.sha256,
    verified: m.verified,
  };
  return `${JSON.stringify(ordered)}\n`; // undefined fields are left out
}

/** A stored manifest, or null when the text is not one (a stray object, a truncated write, a foreign id). */
export function parseManifest(text: string): BackupManifest | null {
  try {
    const m = JSON.parse(text) as BackupManifest;
    if (typeof m !== 'object' || m === null) return null;
    return typeof m.id === 'string' && SAFE_ID.test(m.id) && typeof m.status === 'string' && typeof m.startedAt === 'string' ? m : null;
  } catch {
    return null;
  }
}

/** Every manifest in a listing of concatenated manifests (one per line); lines that are not one are skipped. */
export function parseManifests(listing: string): BackupManifest[] {
  return listing
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map(parseManifest)
    .filter((m): m is BackupManifest => m !== null);
}

/** What retention judges of a manifest. */
export function retentionRecord(m: BackupManifest): BackupRecord {
  return { id: m.id, addon: m.addon, kind: m.kind, status: m.status, verified: m.verified === true, startedAt: m.startedAt, endedAt: m.endedAt };
}

export function objectKey(addon: string, id: string): string {
  return `${addon}/${id}.dump.age`;
}

export function manifestKey(addon: string, id: string): string {
  return `${addon}/${id}.json`;
}
