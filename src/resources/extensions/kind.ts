import { addonPlacements } from '../desired.js';
import { readCatalog } from '../instance/read.js';
import { sqlExecutors } from '../instance/sql-step.js';
import type { ResourceKind } from '../kind.js';
import type { DesiredAddon, ObservedCatalog } from '../model.js';
import { diffExtensions } from './diff.js';

// Extensions of the add-on's database that dbform created (others are left alone).
export const extensionsKind: ResourceKind<DesiredAddon, ObservedCatalog | null> = {
  kind: 'extension',
  scope: 'addon',
  reads: 'instance',
  desired: addonPlacements,
  gather: readCatalog,
  diff: (placed, catalog) => (placed.desired ? diffExtensions(placed.desired, catalog) : []),
  executors: sqlExecutors,
  hazards: ['DATA_LOSS'],
};
