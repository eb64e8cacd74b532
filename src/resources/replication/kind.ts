import { singleInstancePlacements } from '../desired.js';
import { readCatalog } from '../instance/read.js';
import { sqlExecutors } from '../instance/sql-step.js';
import type { ResourceKind } from '../kind.js';
import type { DesiredAddon, ObservedCatalog } from '../model.js';
import { replicationExecutors } from './apply.js';
import { diffReplicationSource, replicationWarnings } from './diff.js';

// The primary's side of an add-on's read replicas: dbform's replication role and one physical slot per
// replica (the copies themselves are the replica kind's). Read from the running instance, like the users.
export const replicationKind: ResourceKind<DesiredAddon, ObservedCatalog | null> = {
  kind: 'replication',
  scope: 'addon',
  reads: 'instance',
  desired: singleInstancePlacements,
  gather: readCatalog,
  diff: (placed, catalog) => (placed.desired ? diffReplicationSource(placed.desired, catalog) : []),
  warnings: (placed, catalog) => replicationWarnings(placed.desired, catalog),
  executors: { ...sqlExecutors, ...replicationExecutors },
  hazards: [],
};
