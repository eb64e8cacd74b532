import type { Change } from '../../plan/types.js';
import { UserError } from '../../util/errors.js';
import type { DesiredAddon, ObservedContainer } from '../model.js';
import { KEPT_PREFIX, RESTORE_KEPT_PREFIX } from './gather.js';

// Pure: what a new image or a new major version means for an add-on's container.
// - A minor upgrade: the image's name is the same but points to another image on the host now (rebuilt
//   with a newer 15.x, or any rebuild): the container is re-created on it (RESTART, data kept).
// - A major upgrade: the data directory is at an older major version than `version`: its data is dumped
//   and restored into a new data directory of the new version (MAJOR_UPGRADE). The old data directory is
//   kept beside it (pgdata.pgNN) for a rollback. A newer data directory than `version` is refused.

/** Measured on the test machine (bench/upgrade-downtime.sh): the add-on is down about this long per GB. */
export const DUMP_RESTORE_SECONDS_PER_GB = 15;

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** "image dbform-postgresql:15 (15.13 -> 15.14)", or the IDs when the versions do not tell the images apart. */
export function imageRebuilt(want: { image: string }, have: ObservedContainer): string | undefined {
  if (want.image !== have.image || !have.imageId || !have.tagImageId || have.imageId === have.tagImageId) return undefined;
  if (have.imageVersion && have.tagVersion && have.imageVersion !== have.tagVersion) {
    return `image ${have.image} (${have.imageVersion} -> ${have.tagVersion})`;
  }
  return `image ${have.image} rebuilt (${short(have.imageId)} -> ${short(have.tagImageId)})`;
}

/** The hazard sentence of a minor upgrade, with the versions when the images carry them. */
export function minorUpgradeMessage(addon: string, have: ObservedContainer): string {
  const versions = have.imageVersion && have.tagVersion && have.imageVersion !== have.tagVersion ? ` (PostgreSQL ${have.imageVersion} -> ${have.tagVersion})` : '';
  return `${addon} is restarted on the new image${versions}; its clients are disconnected until it is back (data is kept)`;
}

/** Refuses a `version` older than the add-on's data: PostgreSQL cannot open a newer data directory. */
export function checkNoDowngrade(desired: DesiredAddon, have: ObservedContainer | null): void {
  const data = have?.dataVersion;
  if (!data || Number(data) <= Number(desired.container.version)) return;
  throw new UserError(
    `add-on ${desired.name}: version "${desired.container.version}" is older than its data (PostgreSQL ${data}): ` +
      `a major version cannot be downgraded. Set version: "${data}", or roll back a recent upgrade as the README says ` +
      `(the kept ${KEPT_PREFIX}${desired.container.version} directory back in place)`,
  );
}

/** The major upgrade, when the data directory is at an older major version than `version`. */
export function diffMajorUpgrade(desired: DesiredAddon, have: ObservedContainer, ensureStep: Record<string, unknown>, otherDiffs: string[]): Change | undefined {
  const from = have.dataVersion;
  const to = desired.container.version;
  if (!from || Number(from) >= Number(to)) return undefined;
  const kept = `${have.dataDir}/${KEPT_PREFIX}${from}`;
  const backup = desired.backups.enabled
    ? `a backup is taken first (${desired.backups.summary?.storage ?? 'its storage'})`
    : 'no backup is taken first (its plan takes none)';
  const pitr = desired.pitr.enabled ? '; its PITR stanza is upgraded and a new full base backup taken after' : '';
  return {
    address: `addon.${desired.name}.container`,
    kind: 'container',
    host: desired.host,
    addon: desired.name,
    action: 'update',
    reason: [`PostgreSQL ${from} -> ${to} (major upgrade: dump and restore into a new data directory)`, ...otherDiffs].join('; '),
    before: { image: have.image, postgresql: from },
    after: { image: desired.container.image, postgresql: to, backup_first: desired.backups.enabled, kept_for_rollback: kept },
    hazards: [{
      code: 'MAJOR_UPGRADE',
      message: `${desired.name} is stopped while its data is dumped and restored into PostgreSQL ${to} (about ` +
        `${DUMP_RESTORE_SECONDS_PER_GB} s of downtime per GB of data); ${backup}; the PostgreSQL ${from} data is kept at ${kept} ` +
        `for a rollback${pitr}`,
    }],
    steps: [{
      ...ensureStep,
      type: 'container.upgrade',
      fromVersion: from,
      oldImage: have.imageId ?? have.image,
      ...(desired.backups.enabled && {
        backupEnv: `${desired.backups.confDir}/backup.env`,
        // The host program apply installs beside the backup settings (backups/settings.ts: scriptPath).
        backupScript: desired.backups.confDir.replace(/\/\.backup\/[^/]+$/, '/.bin/dbform-backup'),
      }),
    }],
  };
}

/** Pure: the plan's warning for each data directory kept after a major upgrade or an in-place restore (no
 *  change removes them: deleting data the user may still need is theirs to decide). */
export function keptDataWarnings(desired: DesiredAddon, have: ObservedContainer | null): string[] {
  return (have?.keptData ?? []).map((k) =>
    k.startsWith(RESTORE_KEPT_PREFIX)
      ? `add-on ${desired.name}: ${have!.dataDir}/${k} holds its data from before a restore, kept so that the restore can be ` +
        `undone (README: "Point-in-time recovery"); once satisfied, delete it to free its space`
      : `add-on ${desired.name}: ${have!.dataDir}/${k} holds its data from before a major upgrade, kept for a rollback (README: ` +
        `"Rolling back a major upgrade"); once the upgrade has proved itself, delete it to free its space`);
}
