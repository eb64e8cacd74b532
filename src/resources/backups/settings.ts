import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { lookupPlan } from '../../config/tiers.js';
import { addonImage } from '../../config/image.js';
import { parseScheduleAt } from '../../config/semantic.js';
import type { AddonConfig, Config, HostConfig, StorageConfig } from '../../config/types.js';
import { UserError } from '../../util/errors.js';
import { containerName } from '../desired.js';
import { envPlaceholder } from '../../util/env-template.js';
import { cronEntries, describeSchedule } from './schedule.js';

// Where an add-on's backups go and when, as files on its host: the backup program (both halves), the add-on's
// backup.env (storage and credentials, root-only, outside the add-on's data directory so its container
// never sees it), the storage's CA, and the cron file. Credentials are `{{env:NAME}}` placeholders here
// (util/env-template.ts): the plan compares the SHA-256 of the filled-in files, apply fills them in again.

export const DEFAULT_SCHEDULE = '01:00'; // the seeds: "around 1:00 AM Central European Time"

export interface BackupFiles {
  /** path on the host -> content */
  files: Record<string, { content: string; mode: string }>;
  /** What the plan shows (never a secret). */
  summary: { schedule: string; storage: string };
}

/** Where an add-on's backup settings live, under its host's dataDir (outside the add-on's own directory). */
export function backupConfDir(hostDataDir: string, addon: string): string {
  return `${hostDataDir}/.backup/${addon}`;
}

export function scriptPath(host: HostConfig): string {
  return `${host.dataDir}/.bin/dbform-backup`;
}

export function cronPath(addon: string): string {
  return `/etc/cron.d/dbform-${addon}`;
}

/** Whether the add-on's plan takes scheduled backups at all (the sandbox does not). */
export function backupsEnabled(addon: AddonConfig): boolean {
  return lookupPlan(addon.plan)?.backups ?? false;
}

export function storageOf(config: Config, addon: AddonConfig): StorageConfig {
  const name = config.defaults.storage;
  const storage = config.storage.find((s) => s.name === name) ?? config.storage[0];
  if (!storage) throw new UserError(`add-on ${addon.name}: no storage is declared for its backups`);
  return storage;
}

/** A credential from the environment, as a placeholder: filled in where the file is hashed or written. */
function env(name: string | undefined, what: string): string {
  if (!name) throw new UserError(`${what}: the name of its environment variable is missing`);
  return envPlaceholder(name);
}

/** The JavaScript half of the backup program (manifests, retention), next to the shell half it serves. */
export function hostProgramPath(host: HostConfig): string {
  return `${host.dataDir}/.bin/dbform-backup.cjs`;
}

/** A member of a highly available add-on: where its backup program asks Patroni whose turn it is
 *  (host/dbform-backup.sh), and the port of its own PostgreSQL (the add-on's port is the gateway's). */
export interface MemberBackupSettings {
  postgresPort: number;
  apiPort: number;
  /** The other members' Patroni REST APIs (https://ADDRESS:PORT). */
  peerApis: string[];
}

export function renderBackupFiles(
  config: Config, addon: AddonConfig, host: HostConfig, recipient: string, script: string, program: string, member?: MemberBackupSettings,
): BackupFiles {
  const retention = lookupPlan(addon.plan)!.retention;
  const storage = storageOf(config, addon);
  const conf = backupConfDir(host.dataDir, addon.name);
  const lines: Record<string, string> = {
    ADDON: addon.name,
    CONTAINER: containerName(addon.name),
    PORT: String(member?.postgresPort ?? addon.port),
    DATABASE: addon.name,
    IMAGE: addonImage(config, addon),
    HOST_NAME: host.name,
    RECIPIENT: recipient,
    TIMEZONE: config.defaults.timezone,
    RETENTION_DAILY: String(retention.daily),
    RETENTION_WEEKLY: String(retention.weekly),
    RETENTION_MONTHLY: String(retention.monthly),
    RETENTION_MANUAL: String(retention.manual),
    ...(member && { HA_API_PORT: String(member.apiPort), HA_PEER_APIS: member.peerApis.join(' ') }),
  };
  const files: BackupFiles['files'] = {};
  let where: string;
  if (storage.type === 's3') {
    const what = `storage ${storage.name}`;
    Object.assign(lines, {
      DEST: `store:${storage.bucket}`,
      RCLONE_CONFIG_STORE_TYPE: 's3',
      RCLONE_CONFIG_STORE_PROVIDER: 'Other',
      RCLONE_CONFIG_STORE_ENDPOINT: storage.endpoint!,
      RCLONE_CONFIG_STORE_REGION: storage.region ?? 'us-east-1',
      RCLONE_CONFIG_STORE_FORCE_PATH_STYLE: 'true',
      RCLONE_CONFIG_STORE_ACCESS_KEY_ID: env(storage.accessKeyIdEnv, what),
      RCLONE_CONFIG_STORE_SECRET_ACCESS_KEY: env(storage.secretAccessKeyEnv, what),
    });
    if (storage.caFile) {
      lines.RCLONE_CA_CERT = '/conf/ca.pem';
      const caPath = resolve(dirname(config.file), storage.caFile);
      try {
        files[`${conf}/ca.pem`] = { content: readFileSync(caPath, 'utf8'), mode: '644' };
      } catch (e) {
        throw new UserError(`${what}: cannot read caFile ${caPath}: ${(e as Error).message}`);
      }
    }
    where = `${storage.name} (s3 bucket ${storage.bucket})`;
  } else {
    Object.assign(lines, { DEST: '/backups', LOCAL_DIR: storage.path! });
    where = `${storage.name} (directory ${storage.path} on ${host.name})`;
  }
  files[`${conf}/backup.env`] = { content: Object.entries(lines).map(([k, v]) => `${k}=${v}\n`).join(''), mode: '600' };
  files[scriptPath(host)] = { content: script, mode: '755' };
  files[hostProgramPath(host)] = { content: program, mode: '644' };
  const at = parseScheduleAt(addon.backups.scheduleAt ?? DEFAULT_SCHEDULE);
  if (typeof at === 'string') throw new UserError(`add-on ${addon.name}: backups.scheduleAt: ${at}`);
  const cron = cronEntries(at, config.defaults.timezone, {
    addon: addon.name,
    stateDir: `${host.dataDir}/.backup`,
    command: `${scriptPath(host)} ${conf}/backup.env daily >/dev/null 2>>${conf}/cron.log`,
  });
  files[cronPath(addon.name)] = { content: cron.join('\n') + '\n', mode: '644' };
  return { files, summary: { schedule: describeSchedule(at, config.defaults.timezone), storage: where } };
}
