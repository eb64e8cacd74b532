import { addonPlacements } from '../desired.js';
import { readCatalog } from '../instance/read.js';
import { sqlExecutors } from '../instance/sql-step.js';
import type { ResourceKind } from '../kind.js';
import type { DesiredAddon, ObservedCatalog } from '../model.js';
import { diffDatabase } from './diff.js';

// The add-on's database, owned by the add-on's owner role.
export const databaseKind: ResourceKind<DesiredAddon, ObservedCatalog | null> = {
  kind: 'database',
  scope: 'addon',
  reads: 'instance',
  desired: addonPlacements,
  gather: readCatalog,
  diff: (placed, catalog) => (placed.desired ? diffDatabase(placed.desired, catalog) : []),
  executors: sqlExecutors,
  hazards: [],
};
