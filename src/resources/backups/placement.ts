import { haPorts } from '../../config/ha-check.js';
import type { AddonConfig, Config, HostConfig } from '../../config/types.js';
import { addonPlacements, desiredBackups, hostAddress } from '../desired.js';
import type { DesiredContext, Placed } from '../kind.js';
import type { DesiredAddon } from '../model.js';
import { backupsEnabled, storageOf } from './settings.js';
import { patroniApi } from '../ha/desired.js';

// Where an add-on's daily backups are scheduled. A single instance: on its host. A highly available add-on:
// on every member host, so that the schedule survives a failover and a dead host; at run time the backup
// program asks the local Patroni whose turn it is (host/dbform-backup.sh): a healthy replica takes the
// backup, the primary only when no replica is healthy. Pure, like every kind's desired state.

/** Whether a highly available add-on's backups are taken: into an S3 storage only, which every member
 *  reaches alike (a local directory would scatter them over whichever host took each). */
export function clusterBackupsTaken(config: Config, addon: AddonConfig): boolean {
  return addon.hosts.length > 1 && backupsEnabled(addon) && storageOf(config, addon).type === 's3';
}

function hostConfig(config: Config, name: string): HostConfig {
  return config.hosts.find((h) => h.name === name) as HostConfig;
}

/** One member's backups: its own backup.env (HOST_NAME, its PostgreSQL port, the peers' Patroni APIs). */
function memberPlacement(config: Config, ctx: DesiredContext, addon: AddonConfig, cluster: DesiredAddon, member: string): Placed<DesiredAddon> {
  const ports = haPorts(addon.port);
  const peerApis = addon.hosts.filter((h) => h !== member).map((h) => patroniApi({ name: h, address: hostAddress(hostConfig(config, h)) }, ports.api));
  const backups = desiredBackups(config, addon, hostConfig(config, member), () => ctx.backupRecipient(addon.name), {
    postgresPort: ports.postgres,
    apiPort: ports.api,
    peerApis,
  });
  return { key: `${addon.name}@${member}`, host: member, addon: addon.name, desired: { ...cluster, host: member, backups } };
}

export function backupPlacements(config: Config, ctx: DesiredContext): Placed<DesiredAddon>[] {
  return addonPlacements(config, ctx).flatMap((placed) => {
    if (!placed.desired.ha) return [placed];
    const addon = config.addons.find((a) => a.name === placed.addon)!;
    if (!clusterBackupsTaken(config, addon)) return [];
    return addon.hosts.map((member) => memberPlacement(config, ctx, addon, placed.desired, member));
  });
}

/** The plan address of an add-on's backups: one per member for a highly available add-on. */
export function backupsAddress(placed: { key: string; addon: string; host: string }): string {
  return placed.key.includes('@') ? `addon.${placed.addon}.backups.${placed.host}` : `addon.${placed.addon}.backups`;
}
