import { addonPlacements } from '../desired.js';
import { readCatalog } from '../instance/read.js';
import { sqlExecutors } from '../instance/sql-step.js';
import type { ResourceKind } from '../kind.js';
import type { DesiredAddon, ObservedCatalog } from '../model.js';
import { diffGrants } from './diff.js';

// Each role's privileges on the add-on's database, schema public, its tables and sequences, and the
// default privileges of what the writers create later. Consecutive grants changes of an add-on are
// applied in one transaction (registry.ts: SHARED_TRANSACTION_KINDS).
export const grantsKind: ResourceKind<DesiredAddon, ObservedCatalog | null> = {
  kind: 'grants',
  scope: 'addon',
  reads: 'instance',
  desired: addonPlacements,
  gather: readCatalog,
  diff: (placed, catalog) => (placed.desired ? diffGrants(placed.desired, catalog) : []),
  executors: sqlExecutors,
  hazards: ['ACCESS_CHANGE'],
};
