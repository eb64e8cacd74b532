import type { AddonConfig, Config } from '../../config/types.js';
import { clusterPitrTaken } from './cluster.js';
import type { Host } from '../../hosts/host.js';
import { type PitrStatus, archiverFailing } from './info.js';
import { readClusterPitrStatus, readPitrStatus } from './status.js';

// The drift check's PITR part: an add-on with point-in-time recovery whose WAL archiving fails (its last
// failure is newer than its last success: the window stops growing) or that has no full base backup (nothing
// can be restored to a point in time). Idle databases archive nothing, so the age of the last archived WAL
// alone is no sign of trouble and is not reported.

/** Pure: what is wrong with an add-on's point-in-time recovery, one sentence each. */
export function pitrProblems(addon: string, status: PitrStatus): string[] {
  const out: string[] = [];
  if (status.archiver && archiverFailing(status.archiver)) {
    const upTo = status.window ? `; restores reach ${status.window.latest} at most` : '';
    out.push(`add-on ${addon}: WAL archiving fails since ${status.archiver.lastFailedAt} (${status.archiver.lastFailedWal})${upTo}`);
  }
  if (!status.baseBackups.some((b) => b.type === 'full' && b.status === 'ok')) {
    out.push(`add-on ${addon}: no full base backup in its PITR repository (stanza ${status.stanza}: ${status.status}): nothing can be restored to a point in time`);
  }
  return out;
}

/** Every add-on with PITR on a host that was reached: its problems, or why its state could not be read. */
export async function brokenPitr(config: Config, hosts: Map<string, Host>): Promise<string[]> {
  const out: string[] = [];
  // A cluster's is read on its members (the primary's archiver), and only when it is taken (an S3 storage).
  const cluster = (a: AddonConfig) => a.hosts.length > 1;
  for (const addon of config.addons.filter((a) => a.backups.pitr && (!cluster(a) || clusterPitrTaken(config, a)))) {
    const host = hosts.get(addon.host);
    if (!host) continue;
    try {
      const status = cluster(addon) ? await readClusterPitrStatus(config, hosts, addon.name) : await readPitrStatus(config, host, addon.name);
      out.push(...pitrProblems(addon.name, status));
    } catch (e) {
      out.push(`add-on ${addon.name}: its point-in-time recovery cannot be read: ${(e as Error).message}`);
    }
  }
  return out;
}
