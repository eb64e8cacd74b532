import { singleInstancePlacements } from '../desired.js';
import { readCatalog } from '../instance/read.js';
import type { ResourceKind } from '../kind.js';
import type { DesiredAddon, ObservedCatalog } from '../model.js';
import { accessExecutors } from './apply.js';
import { diffAccess } from './diff.js';

// pg_hba.conf: who may connect, from where, and whether TLS is required.
export const accessKind: ResourceKind<DesiredAddon, ObservedCatalog | null> = {
  kind: 'access',
  scope: 'addon',
  reads: 'instance',
  desired: singleInstancePlacements,
  gather: readCatalog,
  diff: (placed, catalog) => (placed.desired ? diffAccess(placed.desired, catalog) : []),
  executors: accessExecutors,
  hazards: ['ACCESS_CHANGE'],
};
