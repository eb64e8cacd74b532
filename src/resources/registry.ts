import type { Executor } from '../apply/context.js';
import type { Change } from '../plan/types.js';
import { containerExecutors } from './container/apply.js';
import { diffContainer } from './container/diff.js';
import { diffDatabase } from './database/diff.js';
import { diffGrants } from './grants/diff.js';
import type { DesiredAddon, ObservedAddon } from './model.js';
import { sqlExecutors } from './sql-apply.js';
import { userExecutors } from './users/apply.js';
import { diffUsers } from './users/diff.js';

// The resource kinds of an add-on, in the order apply must run them: a container before the roles in
// it, the owner role before its database, the database before grants in it. Adding a kind means one
// folder and one line here.
export interface ResourceKind {
  kind: string;
  diff(desired: DesiredAddon, observed: ObservedAddon): Change[];
}

export const KINDS: ResourceKind[] = [
  { kind: 'container', diff: (d, o) => diffContainer(d, o.container) },
  { kind: 'user', diff: (d, o) => diffUsers(d, o.catalog) },
  { kind: 'database', diff: (d, o) => diffDatabase(d, o.catalog) },
  { kind: 'grants', diff: (d, o) => diffGrants(d, o.catalog) },
];

export const EXECUTORS: Record<string, Executor> = {
  ...containerExecutors,
  ...userExecutors,
  ...sqlExecutors,
};
