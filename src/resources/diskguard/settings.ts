import type { AddonConfig, HostConfig } from '../../config/types.js';
import { formatDiskMb } from '../../config/disk-size.js';
import { sha256Hex } from '../../util/canonical.js';
import { containerName } from '../desired.js';
import type { DesiredDiskGuard, RenderedFile } from '../model.js';
import { GUARD_SCRIPT } from './host-script.js';

// The disk-full guard of an add-on as files on its host (pure): the shared program, the add-on's settings
// (its quota: nothing secret) and its cron file. The thresholds live in the program (HIGH/LOW), stated here
// for plans and docs.

/** Read-only from this share of the disk used, in percent. */
export const READ_ONLY_AT = 95;
/** Read-write again below this share, in percent (hysteresis: no flapping around one threshold). */
export const WRITABLE_BELOW = 90;

/** Space held back for PostgreSQL's WAL when the filesystem does fill up (host/dbform-diskguard.sh): two WAL
 *  files of 16 MB, at most 5 % of the disk (within the margin read-only mode keeps). */
export function reserveMb(diskMb: number): number {
  return Math.min(32, Math.floor(diskMb / 20));
}

export function guardStateDir(hostDataDir: string, addon: string): string {
  // Outside the add-on's own data directory (which it measures), beside .backup and .pitr.
  return `${hostDataDir}/.diskguard/${addon}`;
}

/** `dbform_disk-ADDON`: add-on names have no underscore, so this never meets another add-on's
 *  `dbform-NAME` backup file (`dbform-disk-NAME` could); cron.d names may hold `_` but not `.`. */
export function guardCronPath(addon: string): string {
  return `/etc/cron.d/dbform_disk-${addon}`;
}

export function guardScriptPath(hostDataDir: string): string {
  return `${hostDataDir}/.bin/dbform-diskguard`;
}

function file(content: string, mode: string): RenderedFile {
  return { content, mode, sha256: sha256Hex(content) };
}

export function desiredDiskGuard(addon: AddonConfig, host: HostConfig): DesiredDiskGuard {
  const state = guardStateDir(host.dataDir, addon.name);
  const env = `${state}/guard.env`;
  const script = guardScriptPath(host.dataDir);
  const settings = [
    `# dbform: the disk-full guard of ${addon.name}; installed and kept by dbform apply (changes here are reverted).`,
    `ADDON=${addon.name}`,
    `CONTAINER=${containerName(addon.name)}`,
    `PORT=${addon.port}`,
    `DATA_DIR=${host.dataDir}/${addon.name}`,
    `QUOTA_MB=${addon.diskMb}`,
    `RESERVE_MB=${reserveMb(addon.diskMb)}`,
  ];
  const cron = [
    `# dbform: disk-full guard of ${addon.name}: read-only from ${READ_ONLY_AT} % of its disk, read-write again below ${WRITABLE_BELOW} %.`,
    // Its own output goes to the status file next to the settings (bounded: replaced on every run).
    `* * * * * root ${script} ${env} >/dev/null 2>&1`,
  ];
  return {
    quotaMb: addon.diskMb,
    stateDir: state,
    cronPath: guardCronPath(addon.name),
    files: {
      [script]: file(GUARD_SCRIPT, '755'),
      [env]: file(settings.join('\n') + '\n', '644'),
      [guardCronPath(addon.name)]: file(cron.join('\n') + '\n', '644'),
    },
    summary: {
      disk: formatDiskMb(addon.diskMb),
      read_only_at: `${READ_ONLY_AT} %`,
      writable_below: `${WRITABLE_BELOW} %`,
      checked: 'every minute, by cron on the host',
    },
  };
}
