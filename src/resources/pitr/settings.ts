import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseScheduleAt } from '../../config/semantic.js';
import type { AddonConfig, Config, HostConfig } from '../../config/types.js';
import { envPlaceholder } from '../../util/env-template.js';
import { UserError } from '../../util/errors.js';
import { containerName } from '../desired.js';
import { cronEntries } from '../backups/schedule.js';
import { DEFAULT_SCHEDULE, storageOf } from '../backups/settings.js';
import { FULL_BACKUP_SCRIPT, type PitrMember, fullBackupScript } from './standby-backup.js';

export type { PitrMember };

// Where and how an add-on's WAL archive and base backups go (pgBackRest, one stanza per add-on), as files
// on its host. Pure: the config and the environment's names only. Credentials are `{{env:NAME}}`
// placeholders (util/env-template.ts); the repository passphrase is not here at all: it lives in the
// keystore and apply writes it into its own include file (conf.d/cipher.conf).

/** Where pgBackRest looks for its settings inside the add-on's container (its default path). */
export const CONTAINER_PGBACKREST_ETC = '/etc/pgbackrest';
/** Where a directory repository (local storage) is mounted inside the container. */
export const CONTAINER_REPO_DIR = '/var/lib/pgbackrest';
/** Seconds after which a partly filled WAL segment is archived anyway. The promise is an RPO of at most 60 s:
 *  a commit waits at most this long for its segment to be switched, then for the upload (archive-push takes
 *  about a second here), so 50 leaves the upload a 10-second margin. */
export const ARCHIVE_TIMEOUT_S = 50;
/** Every second of the last RETENTION_DAYS stays restorable (pgBackRest's time-based retention). */
export const RETENTION_DAYS = 7;
/** The weekly full base backup runs this long after the daily logical backup, so the two do not overlap. */
const FULL_AFTER_DAILY_MIN = 30;
/** ISO weekday (date +%u) of the weekly full base backup: Sunday. */
const FULL_WEEKDAY = 7;

export function pitrStateDir(host: HostConfig, addon: string): string {
  return `${host.dataDir}/.pitr/${addon}`;
}

export function pitrCronPath(addon: string): string {
  return `/etc/cron.d/dbform-pitr-${addon}`;
}

export function passphraseKey(addon: string): string {
  return `addon/${addon}/pitr-passphrase`;
}

/** The include file of the repository passphrase, from the passphrase (apply and gather render it alike). */
export function cipherFileContent(passphrase: string): string {
  return `# dbform: the repository passphrase of this add-on (from the keystore)\n[global]\nrepo1-cipher-pass=${passphrase}\n`;
}

/** The PostgreSQL settings that archive every WAL segment to the add-on's stanza. Only the add-on's own data
 *  directory (the stanza's pg1-path) archives: pgBackRest reads %p, which is relative, and pg_control from
 *  pg1-path, so a copy elsewhere would push the add-on's files (restore.ts replays copies without archiving). */
export function archiveSettings(addon: string): Record<string, string> {
  return {
    archive_mode: 'on',
    archive_command: `pgbackrest --stanza=${addon} archive-push %p`,
    archive_timeout: String(ARCHIVE_TIMEOUT_S),
  };
}

export interface PitrFiles {
  files: Record<string, { content: string; mode: string }>;
  /** What identifies the repository (no credential): the marker of an initialized stanza holds it. */
  repoIdentity: string;
  /** A directory repository on the host (local storage), else null. */
  repoDir: string | null;
  summary: { storage: string; schedule: string; retention: string };
}

function s3RepoLines(config: Config, addon: AddonConfig, files: PitrFiles['files'], etc: string): { lines: string[]; where: string } {
  const storage = storageOf(config, addon);
  const what = `storage ${storage.name}`;
  let url: URL;
  try {
    url = new URL(storage.endpoint ?? '');
  } catch {
    throw new UserError(`${what}: endpoint ${JSON.stringify(storage.endpoint)} is not a URL`);
  }
  // pgBackRest refuses plain HTTP to S3: say so at plan time rather than at the first archived segment.
  if (url.protocol !== 'https:') throw new UserError(`${what}: point-in-time recovery (pgBackRest) needs an https:// endpoint`);
  // pgBackRest 2.45 matches the server certificate against DNS names only (an IP subjectAltName is not accepted).
  if (isIP(url.hostname.replace(/^\[|\]$/g, ''))) {
    throw new UserError(`${what}: point-in-time recovery (pgBackRest) needs the endpoint by DNS name, as its TLS certificate names it, not ${url.hostname}`);
  }
  if (!storage.accessKeyIdEnv || !storage.secretAccessKeyEnv) throw new UserError(`${what}: the names of its credentials' environment variables are missing`);
  const lines = [
    'repo1-type=s3',
    `repo1-s3-endpoint=${url.hostname}`,
    ...(url.port && url.port !== '443' ? [`repo1-storage-port=${url.port}`] : []),
    'repo1-s3-uri-style=path',
    `repo1-s3-region=${storage.region ?? 'us-east-1'}`,
    `repo1-s3-bucket=${storage.bucket}`,
    // Beside the logical backups (ADDON/...) without meeting them: add-on names never start with a dot.
    `repo1-path=/.pgbackrest/${addon.name}`,
  ];
  if (storage.caFile) {
    const caPath = resolve(dirname(config.file), storage.caFile);
    try {
      files[`${etc}/ca.pem`] = { content: readFileSync(caPath, 'utf8'), mode: '644' };
    } catch (e) {
      throw new UserError(`${what}: cannot read caFile ${caPath}: ${(e as Error).message}`);
    }
    lines.push(`repo1-storage-ca-file=${CONTAINER_PGBACKREST_ETC}/ca.pem`);
  }
  return { lines, where: `${storage.name} (s3 bucket ${storage.bucket}, /.pgbackrest/${addon.name})` };
}

/** The weekly full base backup's command. A member of a cluster runs its script (standby-backup.ts), which takes
 *  it on the replica, or on the primary when no healthy replica is there. */
function fullBackupCommand(addon: AddonConfig, member: PitrMember | undefined): string {
  if (member) return `docker exec -u postgres ${containerName(addon.name)} sh ${CONTAINER_PGBACKREST_ETC}/${FULL_BACKUP_SCRIPT}`;
  return `docker exec -u postgres ${containerName(addon.name)} pgbackrest --stanza=${addon.name} --type=full backup`;
}

/** The add-on's pgbackrest.conf, CA and weekly cron file (on one member's host for a highly available add-on). */
export function renderPitrFiles(config: Config, addon: AddonConfig, host: HostConfig, member?: PitrMember): PitrFiles {
  const state = pitrStateDir(host, addon.name);
  const etc = `${state}/etc`;
  const files: PitrFiles['files'] = {};
  const storage = storageOf(config, addon);
  let repo: string[];
  let where: string;
  let repoDir: string | null = null;
  if (storage.type === 's3') {
    ({ lines: repo, where } = s3RepoLines(config, addon, files, etc));
  } else {
    repoDir = `${storage.path}/.pgbackrest/${addon.name}`;
    repo = ['repo1-type=posix', `repo1-path=${CONTAINER_REPO_DIR}`];
    where = `${storage.name} (directory ${repoDir} on ${host.name})`;
  }
  const credentials = storage.type === 's3'
    ? [`repo1-s3-key=${envPlaceholder(storage.accessKeyIdEnv!)}`, `repo1-s3-key-secret=${envPlaceholder(storage.secretAccessKeyEnv!)}`]
    : [];
  const identity = [...repo, 'repo1-cipher-type=aes-256-cbc'];
  const conf = [
    '# dbform: point-in-time recovery of this add-on; installed and kept by dbform apply (changes here are reverted).',
    '[global]',
    ...identity,
    ...credentials,
    'repo1-retention-full-type=time',
    `repo1-retention-full=${RETENTION_DAYS}`,
    // A checkpoint at once, rather than waiting for the next one, when a base backup starts.
    'start-fast=y',
    'log-level-console=warn',
    'log-level-file=off',
    'lock-path=/tmp/pgbackrest',
    '',
    `[${addon.name}]`,
    'pg1-path=/var/lib/dbform/pgdata',
    `pg1-port=${member?.postgresPort ?? addon.port}`,
    'pg1-socket-path=/tmp',
    'pg1-user=postgres',
  ];
  files[`${etc}/pgbackrest.conf`] = { content: conf.join('\n') + '\n', mode: '600' };
  if (member) files[`${etc}/${FULL_BACKUP_SCRIPT}`] = { content: fullBackupScript(addon.name, member), mode: '644' };

  const at = parseScheduleAt(addon.backups.scheduleAt ?? DEFAULT_SCHEDULE);
  if (typeof at === 'string') throw new UserError(`add-on ${addon.name}: backups.scheduleAt: ${at}`);
  const minutes = at.hour * 60 + at.minute + FULL_AFTER_DAILY_MIN;
  const fullAt = { ...at, hour: Math.floor(minutes / 60) % 24, minute: minutes % 60 };
  const zone = at.zone ?? config.defaults.timezone;
  const backup = fullBackupCommand(addon, member);
  const cron = cronEntries(fullAt, config.defaults.timezone, {
    addon: addon.name,
    stateDir: `${host.dataDir}/.pitr`,
    // The guard runs once per local day; the full base backup is taken on that day only if it is a Sunday there.
    command: `if [ "$(TZ='${zone}' date +%u)" = ${FULL_WEEKDAY} ]; then ${backup} >/dev/null 2>>${state}/cron.log; fi`,
  });
  const hhmm = `${String(fullAt.hour).padStart(2, '0')}:${String(fullAt.minute).padStart(2, '0')}`;
  files[pitrCronPath(addon.name)] = {
    content: [`# dbform: weekly full base backup of ${addon.name} (pgBackRest), Sundays at ${hhmm} ${zone}${member ? ', on the replica (on the primary when no healthy replica is there)' : ''}.`, ...cron.slice(1)].join('\n') + '\n',
    mode: '644',
  };
  return {
    files,
    repoIdentity: `stanza=${addon.name}\n${identity.join('\n')}\n`,
    repoDir,
    summary: {
      storage: where,
      schedule: `WAL archived within ${ARCHIVE_TIMEOUT_S} s${member ? ' (by the primary)' : ''}; full base backup Sundays at ${hhmm} ${zone}${member ? ' on the replica' : ''}`,
      retention: `any second of the last ${RETENTION_DAYS} days`,
    },
  };
}
