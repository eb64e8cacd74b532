import type { Executor } from '../apply/context.js';
import { accessKind } from './hba/kind.js';
import { backupsKind } from './backups/kind.js';
import { clusterSlotsKind } from './cluster-slots/kind.js';
import { containerKind } from './container/kind.js';
import { databaseKind } from './database/kind.js';
import { diskGuardKind } from './diskguard/kind.js';
import { etcdKind } from './etcd/kind.js';
import { extensionsKind } from './extensions/kind.js';
import { gatewayKind } from './gateway/kind.js';
import { grantsKind } from './grants/kind.js';
import type { AnyKind } from './kind.js';
import { pitrBaseKind } from './pitr-base/kind.js';
import { patroniKind } from './patroni/kind.js';
import { pitrKind } from './pitr/kind.js';
import { replicaKind } from './replica/kind.js';
import { replicationKind } from './replication/kind.js';
import { retentionKind } from './retention/kind.js';
import { tlsKind } from './tls/kind.js';
import { usersKind } from './users/kind.js';
import { volumeKind } from './volume/kind.js';
import { volumeRemovalKind } from './volume-removal/kind.js';

// Every resource kind, in the order apply runs their changes on an add-on: the container before the
// roles in it, the owner role before its database, the database before grants in it. Adding a kind is one
// folder (see README.md) and one line here; test/unit/kind-contract.test.ts checks both.
// PITR's settings come before the container that archives with them, its stanza after the container runs.
// The encrypted volume comes first: it is the data directory the container binds; its removal (an add-on
// no longer in the file) after the container's, which holds its mount. The disk-full guard after the
// roles it switches. A highly available add-on's Patroni members and gateways take the container's place;
// its read replicas' permanent slots (cluster-slots) go where a single instance's slots (replication) go.
export const KINDS: readonly AnyKind[] = [
  volumeKind, replicaKind, pitrKind, containerKind, volumeRemovalKind, etcdKind, patroniKind, gatewayKind, usersKind, databaseKind, grantsKind, extensionsKind, tlsKind, accessKind, replicationKind, clusterSlotsKind, diskGuardKind, backupsKind, retentionKind, pitrBaseKind,
];

/** Kinds whose consecutive changes on an add-on are applied in one transaction (see apply.ts). */
export const SHARED_TRANSACTION_KINDS: ReadonlySet<string> = new Set(['grants']);

/** Kind of the change that stands for in-instance changes that can only be known once it runs. */
export const CONVERGE_KIND = 'instance';

/** Every step type of every kind. A type two kinds share ('sql') must be the same executor. */
export const EXECUTORS: Record<string, Executor> = Object.assign({}, ...KINDS.map((k) => k.executors));
