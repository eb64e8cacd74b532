import type { ResourceKind } from '../kind.js';
import { replicaExecutors } from './apply.js';
import { diffReplica, replicaNotes, replicaWarnings } from './diff.js';
import { replicaPlacements } from './desired.js';
import type { DesiredReplica, ObservedReplica } from './model.js';

// A read replica: an asynchronous streaming copy of an add-on on another host, in a container of its own
// (dbform-ADDON-replica), keyed "addon@host"; a highly available add-on's streams through its gateways. Its
// primary's side is the replication kind's (role, slot, pg_hba), or a cluster's, the cluster-slots kind's.
// Listed before the container kind: a promotion hands its data to the new add-on's container, made right after
// on the same host.
export const replicaKind: ResourceKind<DesiredReplica, ObservedReplica | null> = {
  kind: 'replica',
  scope: 'addon',
  reads: 'host',
  desired: replicaPlacements,
  gather: async (read, placed) => (await read.replicas?.())?.get(placed.desired.replica.source) ?? null,
  async undeclared(read, declared) {
    const found = (await read.replicas?.()) ?? new Map<string, ObservedReplica>();
    return [...found.values()]
      // Only replicas under this config's dataDir for the host: two configs can share a host.
      .filter((r) => r.dataDir.startsWith(`${read.host.dataDir}/`) && !declared.has(`${r.source}@${read.host.name}`))
      .map((r) => ({ key: `${r.source}@${read.host.name}`, host: read.host.name, addon: r.source, observed: r }));
  },
  diff: diffReplica,
  notes: replicaNotes,
  warnings: replicaWarnings,
  executors: replicaExecutors,
  hazards: ['RESTART', 'DATA_LOSS'],
};
