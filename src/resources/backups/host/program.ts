import { BACKUP_FORMAT, type BackupManifest, parseManifests, renderManifest, retentionRecord } from '../manifest.js';
import { type PrunedBackup, type RetentionPolicy, keptBackups } from '../retention.js';

// The JavaScript half of the backup program on a database host (dbform-backup.cjs, bundled from this
// directory by scripts/bundle-host.mjs). host/dbform-backup.sh runs the pipeline (pg_dump | age | rclone)
// and calls this, inside the add-on's image (Node.js 18), for everything about records: the manifest at
// the start, the end or the failure of a backup, and retention after a good one. It uses the very
// manifest.ts and retention.ts dbform uses for `backups list/verify/prune`, so both sides always agree.
//
// Settings come from the environment: the add-on's backup.env (ADDON, HOST_NAME, TIMEZONE, RETENTION_*)
// and what the shell half passes (ID, KIND, STARTED, PG_VERSION, HA_ROLE). Pure apart from `storage` and `now`.

/** The add-on's backups in their storage, as the host reaches them (rclone in production). */
export interface HostStorage {
  /** Every manifest of the add-on, concatenated. */
  readManifests(): string;
  writeManifest(id: string, text: string): void;
  /** Deletes a backup's object; false when there was none to delete (a failed backup has none). */
  deleteObject(id: string): boolean;
  deleteManifest(id: string): void;
}

export const USAGE = 'usage: dbform-backup.cjs start | ok SHA256 SIZE [STORED_SIZE] | failed | prune';

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set (backup.env or the backup program)`);
  return v;
}

/** The add-on's retention, from backup.env. Missing or unreadable is an error, never "keep nothing". */
export function retentionFromEnv(env: Env): { policy: RetentionPolicy; timezone: string } {
  const count = (name: string): number => {
    const v = required(env, name);
    if (!/^\d+$/.test(v)) throw new Error(`${name}=${v} is not a count`);
    return Number(v);
  };
  const policy = { daily: count('RETENTION_DAILY'), weekly: count('RETENTION_WEEKLY'), monthly: count('RETENTION_MONTHLY'), manual: count('RETENTION_MANUAL') };
  return { policy, timezone: required(env, 'TIMEZONE') };
}

/** An ISO instant to the second, as every manifest time stamp is written. */
function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** HA_ROLE: set by the shell half on a member of a highly available add-on, empty otherwise. */
function memberRole(env: Env): BackupManifest['role'] {
  const role = env.HA_ROLE;
  if (!role) return undefined;
  if (role !== 'replica' && role !== 'primary') throw new Error(`HA_ROLE=${role} is neither replica nor primary`);
  return role;
}

/** The manifest of the backup this run takes, in the state `status`. */
export function manifestOf(env: Env, status: BackupManifest['status'], now: Date, upload?: { sha256: string; size: number; stored?: number }): BackupManifest {
  const kind = required(env, 'KIND');
  if (kind !== 'daily' && kind !== 'manual') throw new Error(`KIND=${kind} is neither daily nor manual`);
  const m: BackupManifest = {
    id: required(env, 'ID'),
    addon: required(env, 'ADDON'),
    kind,
    status,
    startedAt: required(env, 'STARTED'),
    host: required(env, 'HOST_NAME'),
    role: memberRole(env),
    pgVersion: env.PG_VERSION || undefined,
    format: BACKUP_FORMAT,
  };
  if (status === 'running') return m;
  m.endedAt = isoSeconds(now);
  if (upload) Object.assign(m, { size: upload.size, sha256: upload.sha256, verified: upload.stored === upload.size });
  return m;
}

/** `ok SHA256 SIZE [STORED_SIZE]`: what the upload measured (STORED_SIZE: what the storage reports after it). */
export function uploadResult(args: string[]): { sha256: string; size: number; stored?: number } {
  const [sha256, size, stored] = args;
  if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256) || !size || !/^\d+$/.test(size) || (stored !== undefined && !/^\d+$/.test(stored))) {
    throw new Error(`ok: expected SHA256 SIZE [STORED_SIZE], got ${JSON.stringify(args.join(' '))}`);
  }
  return { sha256, size: Number(size), stored: stored === undefined ? undefined : Number(stored) };
}

/** Retention of the add-on's backups as of `now`: deletes what the plan does not keep, oldest first. */
export function prune(env: Env, storage: HostStorage, now: Date): PrunedBackup[] {
  const { policy, timezone } = retentionFromEnv(env);
  const manifests = parseManifests(storage.readManifests());
  const { prune: doomed } = keptBackups(manifests.map(retentionRecord), policy, { now: now.toISOString(), timezone });
  for (const p of doomed) {
    // The object first: a manifest without its object is still listed (and pruned next time); the reverse
    // would leave an object nobody lists.
    storage.deleteObject(p.id);
    storage.deleteManifest(p.id);
  }
  return doomed;
}

/** Runs one command; returns the lines to print. Throws on a usage or storage error. */
export function runHostCommand(args: string[], env: Env, storage: HostStorage, now: Date): string[] {
  const [command, ...rest] = args;
  const write = (m: BackupManifest) => storage.writeManifest(m.id, renderManifest(m));
  switch (command) {
    case 'start':
      write(manifestOf(env, 'running', now));
      return [];
    case 'ok':
      write(manifestOf(env, 'ok', now, uploadResult(rest)));
      return [];
    case 'failed':
      // No partial object may pass for a backup: remove it, keep the failure on record.
      storage.deleteObject(required(env, 'ID'));
      write(manifestOf(env, 'failed', now));
      return [];
    case 'prune':
      return prune(env, storage, now).map((p) => `pruned ${p.id}`);
    default:
      throw new Error(USAGE);
  }
}
