import type { Readable } from 'node:stream';

// Where backups live, seen from the machine running dbform: list manifests, read an object as a stream,
// delete a backup (object and manifest). Implementations: s3 (any S3-compatible endpoint) and local (a
// directory on a database host, reached through that host).
export interface BackupStore {
  readonly description: string;
  listManifests(addon: string): Promise<string[]>;
  openObject(key: string): Promise<{ stream: Readable; done: Promise<void> }>;
  remove(keys: string[]): Promise<void>;
  /** Writes (or replaces) a small object: drill records (backups themselves are written by the host). */
  put(key: string, body: Buffer): Promise<void>;
  /** The keys under `prefix` (a "directory" ending in /), sorted. */
  listKeys(prefix: string): Promise<string[]>;
}
