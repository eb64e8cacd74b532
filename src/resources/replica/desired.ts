import type { Config, HostConfig } from '../../config/types.js';
import { haPorts } from '../../config/ha-check.js';
import { canonicalSha256Hex } from '../../util/canonical.js';
import type { DesiredContext, Placed } from '../kind.js';
import { addonPlacements, hostAddress, superuserKey, tlsNames } from '../desired.js';
import { renderHba } from '../hba/hba.js';
import { REPLICATION_USER } from '../ha/render.js';
import type { DesiredAddon } from '../model.js';
import { type ClusterUpstream, type DesiredReplica, type ReplicaSpec, replicaContainerName, replicaDataDir, slotName } from './model.js';

// Pure: the read replicas the config declares, placed on their hosts and keyed "addon@host". A promoted one
// (`promotedFrom:` on the add-on that takes it over) keeps that key, so that it is never also an undeclared
// replica to delete; it belongs to the new add-on, whose changes on that host run after it.

/** Settings a standby must not take from its primary: WAL archiving is the primary's (with its mounts). */
const PRIMARY_ONLY = /^archive_/;

/** A cluster's replica notices a primary that is gone within seconds, as the cluster does (Patroni's ttl is 6 s):
 *  a host that dies answers nothing, and PostgreSQL's default (60 s without a word from the sender) kept the
 *  replica on a dead connection for a minute on the test fleet. Once cut, it connects again after 1 s, not 5. */
const CLUSTER_STANDBY_SETTINGS = { wal_receiver_timeout: '5s', wal_retrieve_retry_interval: '1s' };

/** A highly available source is reached through its gateways (one on each member host), never a member:
 *  whichever member is the primary, the gateways route to it. */
function clusterUpstream(source: DesiredAddon, members: string[], hostOf: (name: string) => HostConfig): ClusterUpstream {
  return {
    gateways: members.map((m) => hostAddress(hostOf(m))),
    port: haPorts(source.container.port).gateway,
    user: REPLICATION_USER,
    // Clients reach the replica directly: allowedIps and tls.force apply here as on a single instance.
    hba: renderHba({ force: source.tls.force, allowedIps: source.allowedIps }),
  };
}

function replicaSpec(source: DesiredAddon, host: HostConfig, hostOf: (name: string) => HostConfig): ReplicaSpec {
  const c = source.container;
  const settings = Object.fromEntries(Object.entries(c.settings).filter(([k]) => !PRIMARY_ONLY.test(k)));
  const base = {
    source: source.name,
    name: replicaContainerName(source.name),
    image: c.image,
    memoryMb: c.memoryMb,
    port: c.port,
    settings: { ...settings, hot_standby: 'on', ...(source.ha && CLUSTER_STANDBY_SETTINGS) },
    dataDir: replicaDataDir(host.dataDir, source.name),
    ...(source.ha
      ? { cluster: clusterUpstream(source, source.ha.members, hostOf) }
      : { primary: { address: hostAddress(hostOf(source.host)), port: c.port } }),
    slot: slotName(host.name),
    tlsNames: tlsNames(host),
  };
  return { ...base, spec: canonicalSha256Hex(base) };
}

export function replicaPlacements(config: Config, ctx: DesiredContext): Placed<DesiredReplica>[] {
  const addons = new Map(addonPlacements(config, ctx).map((p) => [p.addon, p.desired]));
  const hostOf = (name: string) => config.hosts.find((h) => h.name === name) as HostConfig;
  const out: Placed<DesiredReplica>[] = [];
  for (const a of config.addons) {
    const source = addons.get(a.name)!;
    for (const r of a.readReplicas ?? []) {
      const replica = replicaSpec(source, hostOf(r), hostOf);
      out.push({ key: `${a.name}@${r}`, host: r, addon: a.name, desired: { replica, sourceEncrypted: a.encryptionAtRest } });
    }
  }
  for (const b of config.addons) {
    if (b.promotedFrom === undefined) continue;
    const source = config.addons.find((a) => a.name === b.promotedFrom)!;
    const replica = replicaSpec(addons.get(source.name)!, hostOf(b.host), hostOf);
    const target = addons.get(b.name)!;
    const roles = target.roles.flatMap((r) => (r.passwordSource.source === 'keystore' ? [{ name: r.name, key: r.passwordSource.key }] : []));
    const promoteTo = { addon: b.name, dataDir: target.container.dataDir, superuserKey: superuserKey(b.name), roles };
    out.push({ key: `${source.name}@${b.host}`, host: b.host, addon: b.name, desired: { replica, promoteTo, sourceEncrypted: source.encryptionAtRest } });
  }
  return out;
}
