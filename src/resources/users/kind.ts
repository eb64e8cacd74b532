import { addonPlacements } from '../desired.js';
import { sqlExecutors } from '../instance/sql-step.js';
import type { ResourceKind } from '../kind.js';
import type { DesiredAddon, ObservedUsers } from '../model.js';
import { userExecutors } from './apply.js';
import { diffUsers } from './diff.js';
import { gatherUsers } from './gather.js';

// The add-on's roles: its owner and declared users, with safe attributes and the passwords dbform holds.
export const usersKind: ResourceKind<DesiredAddon, ObservedUsers> = {
  kind: 'user',
  scope: 'addon',
  reads: 'instance',
  desired: addonPlacements,
  gather: (read, placed) => gatherUsers(read, placed.desired),
  diff: (placed, observed) => (placed.desired ? diffUsers(placed.desired, observed) : []),
  executors: { ...sqlExecutors, ...userExecutors },
  hazards: ['ACCESS_CHANGE'],
};
