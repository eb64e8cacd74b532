import type { Change, Step } from '../../plan/types.js';
import type { Placed } from '../kind.js';
import type { DesiredClusterSlots, ObservedClusterSlots } from './model.js';

// Pure: a cluster's read replicas, desired, against the permanent slots of its dynamic configuration -> one
// change per slot to add or remove. Unknown (null: no member's API answered, as while the cluster is made in
// this same apply) means none: every desired slot is added (adding one that is there changes nothing).

const address = (addon: string, what: string) => `addon.${addon}.replication.slot.${what}`;

function step(d: DesiredClusterSlots, slot: string, present: boolean): Step {
  return { type: 'cluster-slots.set', addon: d.addon, slot, present, member: d.member as never, apis: d.apis };
}

export function diffClusterSlots(placed: Placed<DesiredClusterSlots | null>, observed: ObservedClusterSlots): Change[] {
  const d = placed.desired;
  if (!d) return [];
  const have = observed?.slots ?? [];
  const base = { kind: 'cluster-slots', host: placed.host, addon: d.addon, hazards: [] };
  const changes: Change[] = d.slots.filter((s) => !have.includes(s.slot)).map((s) => ({
    ...base, address: address(d.addon, s.host), action: 'create' as const,
    reason: `the primary keeps the WAL the read replica on ${s.host} has not received yet: a permanent slot, which Patroni makes on whichever member is the primary`,
    before: null, after: { slot: s.slot, permanent: true }, steps: [step(d, s.slot, true)],
  }));
  for (const slot of have.filter((h) => !d.slots.some((s) => s.slot === h))) {
    changes.push({
      ...base, address: address(d.addon, slot), action: 'delete',
      reason: 'its read replica is no longer declared (deleted or promoted): Patroni drops the slot, and the primary stops keeping WAL for it',
      before: { slot, permanent: true }, after: null, steps: [step(d, slot, false)],
    });
  }
  return changes;
}
