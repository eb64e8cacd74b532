import type { Config, HostConfig } from '../../config/types.js';
import { canonicalSha256Hex } from '../../util/canonical.js';
import type { DesiredContext, Placed } from '../kind.js';
import { addonPlacements, superuserKey, tlsNames } from '../desired.js';
import type { DesiredAddon } from '../model.js';
import { type DesiredReplica, type ReplicaSpec, replicaContainerName, replicaDataDir, slotName } from './model.js';

// Pure: the read replicas the config declares, placed on their hosts and keyed "addon@host". A promoted one
// (`promotedFrom:` on the add-on that takes it over) keeps that key, so that it is never also an undeclared
// replica to delete; it belongs to the new add-on, whose changes on that host run after it.

/** Settings a standby must not take from its primary: WAL archiving is the primary's (with its mounts). */
const PRIMARY_ONLY = /^archive_/;

function replicaSpec(source: DesiredAddon, host: HostConfig, primary: HostConfig): ReplicaSpec {
  const c = source.container;
  const settings = Object.fromEntries(Object.entries(c.settings).filter(([k]) => !PRIMARY_ONLY.test(k)));
  const base = {
    source: source.name,
    name: replicaContainerName(source.name),
    image: c.image,
    memoryMb: c.memoryMb,
    port: c.port,
    settings: { ...settings, hot_standby: 'on' },
    dataDir: replicaDataDir(host.dataDir, source.name),
    primary: { address: primary.transport === 'ssh' ? primary.address : '127.0.0.1', port: c.port },
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
      const replica = replicaSpec(source, hostOf(r), hostOf(a.host));
      out.push({ key: `${a.name}@${r}`, host: r, addon: a.name, desired: { replica, sourceEncrypted: a.encryptionAtRest } });
    }
  }
  for (const b of config.addons) {
    if (b.promotedFrom === undefined) continue;
    const source = config.addons.find((a) => a.name === b.promotedFrom)!;
    const replica = replicaSpec(addons.get(source.name)!, hostOf(b.host), hostOf(source.host));
    const target = addons.get(b.name)!;
    const roles = target.roles.flatMap((r) => (r.passwordSource.source === 'keystore' ? [{ name: r.name, key: r.passwordSource.key }] : []));
    const promoteTo = { addon: b.name, dataDir: target.container.dataDir, superuserKey: superuserKey(b.name), roles };
    out.push({ key: `${source.name}@${b.host}`, host: b.host, addon: b.name, desired: { replica, promoteTo, sourceEncrypted: source.encryptionAtRest } });
  }
  return out;
}
