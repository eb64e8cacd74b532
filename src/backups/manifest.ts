// The manifest stored next to each backup object (ADDON/ID.json), written by the host program.
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
  host?: string;
  format?: string;
}

export function parseManifest(text: string): BackupManifest | null {
  try {
    const m = JSON.parse(text) as BackupManifest;
    return typeof m.id === 'string' && typeof m.status === 'string' && typeof m.startedAt === 'string' ? m : null;
  } catch {
    return null;
  }
}

export function objectKey(addon: string, id: string): string {
  return `${addon}/${id}.dump.age`;
}

export function manifestKey(addon: string, id: string): string {
  return `${addon}/${id}.json`;
}
