import type { Executor } from '../apply/context.js';
import type { Change } from '../plan/types.js';
import { containerExecutors } from './container/apply.js';
import { diffContainer } from './container/diff.js';
import { diffDatabase } from './database/diff.js';
import { diffGrants } from './grants/diff.js';
import { accessExecutors } from './access/apply.js';
import { backupExecutors } from './backups/apply.js';
import { diffBackups } from './backups/diff.js';
import { diffAccess } from './access/diff.js';
import { diffExtensions } from './extensions/diff.js';
import { tlsExecutors } from './tls/apply.js';
import { diffTls } from './tls/diff.js';
import type { DesiredAddon, ObservedAddon } from './model.js';
import { sqlExecutors } from './sql-apply.js';
import { userExecutors } from './users/apply.js';
import { diffUsers } from './users/diff.js';

// The resource kinds of an add-on, in the order apply must run them: a container before the roles in
// it, the owner role before its database, the database before grants in it. Adding a kind means one
// folder and one line here.
export interface ResourceKind {
  kind: string;
  /** Read from inside the instance: unknown while an existing instance is not running. */
  inInstance: boolean;
  diff(desired: DesiredAddon, observed: ObservedAddon): Change[];
}

export const KINDS: ResourceKind[] = [
  { kind: 'container', inInstance: false, diff: (d, o) => diffContainer(d, o.container) },
  { kind: 'user', inInstance: true, diff: (d, o) => diffUsers(d, o.catalog) },
  { kind: 'database', inInstance: true, diff: (d, o) => diffDatabase(d, o.catalog) },
  { kind: 'grants', inInstance: true, diff: (d, o) => diffGrants(d, o.catalog) },
  { kind: 'extension', inInstance: true, diff: (d, o) => diffExtensions(d, o.catalog) },
  { kind: 'tls', inInstance: true, diff: (d, o) => diffTls(d, o.catalog) },
  { kind: 'access', inInstance: true, diff: (d, o) => diffAccess(d, o.catalog) },
  { kind: 'backups', inInstance: false, diff: (d, o) => diffBackups(d, o) },
];

/** Kinds whose consecutive changes on an add-on are applied in one transaction (see apply.ts). */
export const SHARED_TRANSACTION_KINDS: ReadonlySet<string> = new Set(['grants']);

/** Kind of the change that stands for in-instance changes that can only be known once it runs. */
export const CONVERGE_KIND = 'instance';

export const EXECUTORS: Record<string, Executor> = {
  ...containerExecutors,
  ...userExecutors,
  ...sqlExecutors,
  ...tlsExecutors,
  ...accessExecutors,
  ...backupExecutors,
};
