import { singleInstancePlacements } from '../desired.js';
import { readCatalog } from '../instance/read.js';
import type { ResourceKind } from '../kind.js';
import type { DesiredAddon, ObservedCatalog } from '../model.js';
import { tlsExecutors } from './apply.js';
import { diffTls } from './diff.js';

// The instance's server certificate, issued by the fleet CA, and root.crt.
export const tlsKind: ResourceKind<DesiredAddon, ObservedCatalog | null> = {
  kind: 'tls',
  scope: 'addon',
  reads: 'instance',
  desired: singleInstancePlacements,
  gather: readCatalog,
  diff: (placed, catalog) => (placed.desired ? diffTls(placed.desired, catalog) : []),
  executors: tlsExecutors,
  hazards: [],
};
