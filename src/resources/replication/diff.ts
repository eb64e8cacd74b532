import type { Change } from '../../plan/types.js';
import { literal } from '../../util/sql.js';
import type { DesiredAddon, ObservedCatalog } from '../model.js';
import { REPLICATION_ROLE, replicationPasswordKey } from '../replica/model.js';

// Pure: the primary's side of an add-on's read replicas -> changes. dbform's replication role exists while
// the add-on has read replicas; each replica has a physical slot, so that the primary keeps the WAL it has
// not received yet; a slot whose replica is gone (deleted or promoted) is dropped, or the primary would keep
// WAL for it forever. pg_hba.conf's replication lines are the access kind's (the add-on's rendered file).

const address = (addon: string, what: string) => `addon.${addon}.replication.${what}`;

export function diffReplicationSource(desired: DesiredAddon, catalog: ObservedCatalog | null): Change[] {
  const want = desired.readReplicas ?? [];
  // An existing instance read by an older dbform (no replicaSource): nothing known, nothing to do.
  if (catalog && !catalog.replicaSource) return [];
  const role = catalog?.replicaSource?.role ?? null;
  const slots = catalog?.replicaSource?.slots ?? [];
  const base = { kind: 'replication', host: desired.host, addon: desired.name, hazards: [] };
  const changes: Change[] = [];
  if (want.length && !(role?.login && role.replication)) {
    changes.push({
      ...base, address: address(desired.name, 'role'), action: role ? 'update' : 'create',
      reason: `read replicas of ${desired.name} connect as ${REPLICATION_ROLE}`,
      before: role ? { login: role.login, replication: role.replication } : null, after: { role: REPLICATION_ROLE, login: true, replication: true, password: 'derived' },
      steps: [{ type: 'replication.role', addon: desired.name, passwordKey: replicationPasswordKey(desired.name) }],
    });
  }
  for (const r of want.filter((w) => !slots.some((s) => s.name === w.slot))) {
    changes.push({
      ...base, address: address(desired.name, `slot.${r.host}`), action: 'create',
      reason: `the primary keeps the WAL the read replica on ${r.host} has not received yet`, before: null, after: { slot: r.slot },
      steps: [{ type: 'sql', addon: desired.name, database: 'postgres', statements: [`SELECT pg_create_physical_replication_slot(${literal(r.slot)}, true)`] }],
    });
  }
  for (const s of slots.filter((o) => !want.some((w) => w.slot === o.name))) {
    changes.push({
      ...base, address: address(desired.name, `slot.${s.name}`), action: 'delete',
      reason: 'its read replica is no longer declared (deleted or promoted): the primary stops keeping WAL for it',
      before: { slot: s.name, active: s.active }, after: null, steps: [{ type: 'replication.drop-slot', addon: desired.name, slot: s.name }],
    });
  }
  if (!want.length && role) {
    changes.push({
      ...base, address: address(desired.name, 'role'), action: 'delete', reason: `${desired.name} has no read replica left`,
      before: { role: REPLICATION_ROLE }, after: null,
      steps: [{ type: 'sql', addon: desired.name, database: 'postgres', statements: [`DROP ROLE IF EXISTS ${REPLICATION_ROLE}`] }],
    });
  }
  return changes;
}

/** A declared replica's slot nobody uses: the primary keeps WAL for it, and its disk fills. */
export function replicationWarnings(desired: DesiredAddon, catalog: ObservedCatalog | null): string[] {
  const slots = catalog?.replicaSource?.slots ?? [];
  return (desired.readReplicas ?? [])
    .filter((r) => slots.some((s) => s.name === r.slot && !s.active))
    .map((r) => `add-on ${desired.name}: the read replica on ${r.host} does not stream (slot ${r.slot} inactive): the primary keeps its WAL until it is back or removed from readReplicas`);
}
