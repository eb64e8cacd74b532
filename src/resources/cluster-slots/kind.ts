import type { Config } from '../../config/types.js';
import type { DesiredContext, Placed, ResourceKind } from '../kind.js';
import { patroniPlacements } from '../ha/desired.js';
import { slotName } from '../replica/model.js';
import { clusterSlotsExecutors } from './apply.js';
import { diffClusterSlots } from './diff.js';
import type { DesiredClusterSlots, ObservedClusterSlots } from './model.js';

// The primary's side of a highly available add-on's read replicas (the single instance's is the replication
// kind's): Patroni's permanent slots, one per replica. One resource per cluster, placed on its preferred
// member's host, keyed by the add-on: the cluster's configuration is one, whichever member is asked. Placed for
// every cluster, with or without read replicas, so that the slot of the last one removed goes too.

export function clusterSlotsPlacements(config: Config, ctx: DesiredContext): Placed<DesiredClusterSlots>[] {
  return patroniPlacements(config, ctx).filter((p) => p.desired.preferred).map((p) => {
    const addon = config.addons.find((a) => a.name === p.addon)!;
    return {
      key: p.addon,
      host: p.host,
      addon: p.addon,
      desired: {
        addon: p.addon,
        slots: (addon.readReplicas ?? []).map((host) => ({ host, slot: slotName(host) })),
        member: { container: p.desired.spec.name, dir: p.desired.spec.dir, image: p.desired.spec.image },
        apis: [`https://127.0.0.1:${p.desired.apiPort}`, ...p.desired.peerApis],
      },
    };
  });
}

export const clusterSlotsKind: ResourceKind<DesiredClusterSlots, ObservedClusterSlots> = {
  kind: 'cluster-slots',
  scope: 'addon',
  reads: 'host',
  desired: clusterSlotsPlacements,
  async gather(read, placed) {
    const { member, apis } = placed.desired;
    const running = (await read.haContainers?.())?.get(member.container)?.running === true;
    if (!running || !read.patroniSlots) return null;
    const slots = await read.patroniSlots(member.container, apis);
    return slots ? { slots } : null;
  },
  diff: diffClusterSlots,
  executors: clusterSlotsExecutors,
  hazards: [],
};
