import type { DesiredFleet, ObservedFleet } from '../gather/gather.js';
import type { AnyKind, Placed } from '../resources/kind.js';
import type { DesiredAddon } from '../resources/model.js';
import { CONVERGE_KIND, KINDS } from '../resources/registry.js';
import type { Change, InstanceEndpoint, Plan } from './types.js';

// Pure: desired fleet + observed fleet -> plan. Deterministic: add-ons by name, then hosts, then the kinds
// in registry order (the order apply needs), then the order each kind emits. Only hosts that were read
// are planned: nothing is known of the others.


/** The in-instance part of an add-on's desired state: what converge diffs once the instance runs.
 *  It holds no secret (passwords are named by their source), so it can travel in a plan step. */
export function instanceDesired(d: DesiredAddon): DesiredAddon {
  return { ...d, backups: { ...d.backups, files: {} } };
}

function convergeLater(placed: Placed<DesiredAddon>): Change {
  const d = placed.desired;
  return {
    address: `addon.${d.name}.instance`,
    kind: CONVERGE_KIND,
    host: placed.host,
    addon: d.name,
    action: 'update',
    reason: 'the instance is not running: its users, database and grants are read and converged once it is up (known after apply)',
    before: { users_database_grants: 'unknown while not running' },
    after: { users_database_grants: 'as declared' },
    hazards: [],
    steps: [{ type: 'instance.converge', addon: d.name, desired: instanceDesired(d) as never }],
  };
}

/** Every add-on instance: instance kinds share the add-on's desired state, so any of them places them all. */
export function instancePlacements(desired: DesiredFleet, kinds: readonly AnyKind[]): Placed<DesiredAddon>[] {
  const instanceKind = kinds.find((k) => k.reads === 'instance');
  return instanceKind ? (desired.get(instanceKind.kind) as Placed<DesiredAddon>[]) : [];
}

function diffKinds(desired: DesiredFleet, observed: ObservedFleet, kinds: readonly AnyKind[]): Change[] {
  const read = new Set(observed.hosts);
  const stopped = new Set(observed.stopped);
  const changes: Change[] = [];
  for (const kind of kinds) {
    const seen = observed.declared[kind.kind] ?? {};
    if (kind.diffFleet) {
      const declared = desired.get(kind.kind) ?? [];
      const entries = [
        ...declared.filter((p) => read.has(p.host) && p.key in seen).map((placed) => ({ placed, observed: seen[placed.key] })),
        ...(observed.undeclared[kind.kind] ?? []).map((u) => ({ placed: { key: u.key, host: u.host, addon: u.addon, desired: null }, observed: u.observed })),
      ];
      changes.push(...kind.diffFleet(entries, declared));
      continue;
    }
    for (const placed of desired.get(kind.kind) ?? []) {
      if (!read.has(placed.host) || (kind.reads === 'instance' && stopped.has(placed.key))) continue;
      changes.push(...kind.diff(placed, seen[placed.key]));
    }
    for (const u of observed.undeclared[kind.kind] ?? []) changes.push(...kind.diff({ key: u.key, host: u.host, addon: u.addon, desired: null }, u.observed));
  }
  for (const placed of instancePlacements(desired, kinds)) {
    if (read.has(placed.host) && stopped.has(placed.key)) changes.push(convergeLater(placed));
  }
  return changes;
}

/** What kinds warn about declared resources on the hosts read (problems no change repairs). */
function kindWarnings(desired: DesiredFleet, observed: ObservedFleet, kinds: readonly AnyKind[]): string[] {
  const read = new Set(observed.hosts);
  return kinds.flatMap((kind) =>
    kind.warnings
      ? (desired.get(kind.kind) ?? []).filter((p) => read.has(p.host) && p.key in (observed.declared[kind.kind] ?? {})).flatMap((p) => kind.warnings!(p, observed.declared[kind.kind]![p.key]))
      : [],
  );
}

/** What kinds tell about declared resources that are fine (a member's role and lag). */
function kindNotes(desired: DesiredFleet, observed: ObservedFleet, kinds: readonly AnyKind[]): string[] {
  const read = new Set(observed.hosts);
  return kinds.flatMap((kind) =>
    kind.notes
      ? (desired.get(kind.kind) ?? []).filter((p) => read.has(p.host) && p.key in (observed.declared[kind.kind] ?? {})).flatMap((p) => kind.notes!(p, observed.declared[kind.kind]![p.key]))
      : [],
  );
}

/** Where each add-on's instance listens once the plan is applied: SQL steps connect there. */
function instanceEndpoints(desired: DesiredFleet, kinds: readonly AnyKind[]): Record<string, InstanceEndpoint> {
  const placed = instancePlacements(desired, kinds);
  return Object.fromEntries(placed.map((p) => [p.addon, { host: p.host, port: p.desired.container.port }]));
}

/** Only plans that have notes carry the field (plans of fleets without high availability are unchanged). */
const withNotes = (notes: string[]): { notes?: string[] } => (notes.length ? { notes } : {});

export function buildPlan(
  config: { file: string; sha256: string },
  desired: DesiredFleet,
  observed: ObservedFleet,
  kinds: readonly AnyKind[] = KINDS,
): Plan {
  const kindRank = new Map([...kinds.map((k) => k.kind), CONVERGE_KIND].map((k, i) => [k, i]));
  const indexed = diffKinds(desired, observed, kinds).map((c, i) => ({ c, i }));
  indexed.sort(
    (a, b) =>
      a.c.addon.localeCompare(b.c.addon) ||
      a.c.host.localeCompare(b.c.host) ||
      kindRank.get(a.c.kind)! - kindRank.get(b.c.kind)! ||
      a.i - b.i,
  );
  return {
    formatVersion: 1,
    config: { file: config.file, sha256: config.sha256 },
    observedFingerprint: observed.fingerprint,
    changes: indexed.map((x) => x.c),
    warnings: kindWarnings(desired, observed, kinds),
    ...withNotes(kindNotes(desired, observed, kinds)),
    hostsNotRead: [],
    instances: instanceEndpoints(desired, kinds),
  };
}
