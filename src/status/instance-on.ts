import type { AddonConfig, Config } from '../config/types.js';
import { hostPgdata } from '../resources/data-files.js';
import { replicaDataDir } from '../resources/replica/model.js';
import { UserError } from '../util/errors.js';
import { isHighlyAvailable, memberHosts, readReplicaHosts } from './members.js';

// Pure: which of an add-on's PostgreSQL servers `queries --host HOST` and `logs --host HOST` read: its one
// instance, a highly available add-on's member on HOST, or its read replica on HOST. Without --host: the
// instance, or for a cluster the primary through the gateway (queries) and the first host's member (logs).

export type Instance =
  | { kind: 'addon'; host: string }
  | { kind: 'member'; host: string }
  | { kind: 'read-replica'; host: string };

export function instanceOn(a: AddonConfig, host: string | undefined): Instance {
  if (host === undefined) return { kind: 'addon', host: a.host };
  if (memberHosts(a).includes(host)) return isHighlyAvailable(a) ? { kind: 'member', host } : { kind: 'addon', host };
  if (readReplicaHosts(a).includes(host)) return { kind: 'read-replica', host };
  const where = [`runs on ${memberHosts(a).join(' and ')}`, ...(readReplicaHosts(a).length ? [`has read replicas on ${readReplicaHosts(a).join(', ')}`] : [])];
  throw new UserError(`add-on ${a.name} ${where.join(' and ')}: --host ${host} is none of them`);
}

/** The data directory (on the instance's host) whose log/ folder holds its PostgreSQL log. */
export function instancePgdata(config: Config, a: AddonConfig, i: Instance): string {
  const hostDataDir = config.hosts.find((h) => h.name === i.host)!.dataDir;
  return hostPgdata(i.kind === 'read-replica' ? replicaDataDir(hostDataDir, a.name) : `${hostDataDir}/${a.name}`);
}

/** How the instance is named in messages: "add-on shop", "the member of orders on db-2", "the read replica of shop on db-2". */
export function instanceLabel(a: AddonConfig, i: Instance): string {
  if (i.kind === 'member') return `the member of ${a.name} on ${i.host}`;
  if (i.kind === 'read-replica') return `the read replica of ${a.name} on ${i.host}`;
  return `add-on ${a.name}`;
}
