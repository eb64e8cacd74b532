import { haPorts } from '../../config/ha-check.js';
import type { AddonConfig, Config, HostConfig } from '../../config/types.js';
import { storageOf } from '../backups/settings.js';
import { addonPlacements, hostAddress } from '../desired.js';
import type { DesiredContext, Placed } from '../kind.js';
import type { DesiredAddon } from '../model.js';
import { desiredPitr, pitrContainerParts } from './desired.js';
import { type PitrMember, memberCertNames, memberCommand } from './standby-backup.js';

// Where an add-on's point-in-time recovery is placed. A single instance: on its host. A highly available add-on:
// on every member host, with the same stanza and repository, so that whichever member is the primary archives
// its WAL (Patroni runs every member with archive_mode=on: a replica archives nothing), and whichever is the
// replica takes the weekly full base backup (standby-backup.ts); the settings survive a failover and a dead
// host. Pure, like every kind's desired state.

/** Whether a highly available add-on has PITR: into an S3 storage only, which every member reaches alike (a
 *  directory on each member's host would split its WAL between two repositories). */
export function clusterPitrTaken(config: Config, addon: AddonConfig): boolean {
  return addon.hosts.length > 1 && addon.backups.pitr && storageOf(config, addon).type === 's3';
}

function hostConfig(config: Config, name: string): HostConfig {
  return config.hosts.find((h) => h.name === name) as HostConfig;
}

/** How a member's pgBackRest sees itself and the other member (standby-backup.ts). */
function pitrMember(config: Config, addon: AddonConfig, member: string): PitrMember {
  const ports = haPorts(addon.port);
  const node = (name: string) => ({ name, address: hostAddress(hostConfig(config, name)) });
  const peer = addon.hosts.find((h) => h !== member)!;
  return { postgresPort: ports.postgres, apiPort: ports.api, serverPort: ports.backupServer, self: node(member), peer: node(peer) };
}

/** One member's PITR (off when the cluster has none, so that settings left from before are removed). */
export function memberPitr(config: Config, addon: AddonConfig, member: string) {
  const on = clusterPitrTaken(config, addon);
  const effective = on ? addon : { ...addon, backups: { ...addon.backups, pitr: false } };
  return desiredPitr(config, effective, hostConfig(config, member), pitrMember(config, addon, member));
}

/** What PITR adds to a Patroni member: PostgreSQL's archive settings, pgBackRest's settings mounted, its TLS
 *  server beside Patroni (`command`: the container's command, given Patroni's) and the names its certificate
 *  must carry for it (`certNames`). Nothing when it is off: a cluster without PITR keeps what it was made as. */
export function memberArchiving(config: Config, addon: AddonConfig, member: string): {
  settings: Record<string, string>; mounts: string[]; command(patroni: string[]): string[]; certNames: string[];
} {
  const pitr = memberPitr(config, addon, member);
  const parts = pitrContainerParts(pitr);
  if (!pitr.enabled) return { ...parts, command: (patroni) => patroni, certNames: [] };
  const self = pitrMember(config, addon, member);
  return { ...parts, command: (patroni) => memberCommand(addon.name, self, patroni), certNames: memberCertNames(self) };
}

export function pitrPlacements(config: Config, ctx: DesiredContext): Placed<DesiredAddon>[] {
  return addonPlacements(config, ctx).flatMap((placed) => {
    if (!placed.desired.ha) return [placed];
    const addon = config.addons.find((a) => a.name === placed.addon)!;
    return addon.hosts.map((member) => ({
      key: `${addon.name}@${member}`,
      host: member,
      addon: addon.name,
      desired: { ...placed.desired, host: member, pitr: memberPitr(config, addon, member) },
    }));
  });
}

/** The plan address of an add-on's PITR part (`pitr`, `pitr_base`): one per member for a highly available add-on. */
export function pitrAddress(desired: DesiredAddon, part: string): string {
  return desired.ha ? `addon.${desired.name}.${part}.${desired.host}` : `addon.${desired.name}.${part}`;
}
