import type { ObservedAddon, ObservedContainer, DesiredAddon } from '../resources/model.js';
import { CONVERGE_KIND, KINDS } from '../resources/registry.js';
import { diffOrphanContainer } from '../resources/container/diff.js';
import type { Change, Plan } from './types.js';

// Pure: desired add-ons + observed fleet -> plan. Deterministic: add-ons by name, then the kinds in
// registry order (which is the order apply needs), then the order each kind emits.

export interface ObservedFleet {
  addons: Map<string, ObservedAddon>;
  /** Managed containers of add-ons that are not in the file (or moved to another host). */
  orphans: { host: string; container: ObservedContainer }[];
  fingerprint: string;
  warnings: string[];
}

const kindRank = new Map([...KINDS.map((k) => k.kind), CONVERGE_KIND].map((k, i) => [k, i]));

function convergeLater(d: DesiredAddon): Change {
  return {
    address: `addon.${d.name}.instance`,
    kind: CONVERGE_KIND,
    host: d.host,
    addon: d.name,
    action: 'update',
    reason: 'the instance is not running: its users, database and grants are read and converged once it is up (known after apply)',
    before: { users_database_grants: 'unknown while not running' },
    after: { users_database_grants: 'as declared' },
    hazards: [],
    steps: [{ type: 'instance.converge', addon: d.name }],
  };
}

export function buildPlan(config: { file: string; sha256: string }, desired: DesiredAddon[], observed: ObservedFleet): Plan {
  const changes: Change[] = [];
  for (const d of desired) {
    const o = observed.addons.get(d.name) ?? { container: null, catalog: null, dataInitialized: false, backupFiles: {} };
    // An existing instance that is not running cannot be read: what is inside it is "known after apply".
    const unknownInside = o.catalog === null && o.dataInitialized;
    for (const kind of KINDS) if (!(kind.inInstance && unknownInside)) changes.push(...kind.diff(d, o));
    if (unknownInside) changes.push(convergeLater(d));
  }
  for (const orphan of observed.orphans) changes.push(diffOrphanContainer(orphan.host, orphan.container));
  const indexed = changes.map((c, i) => ({ c, i }));
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
    warnings: [...observed.warnings].sort(),
    hostsNotRead: [],
  };
}
