// Desired and observed state of read replicas: asynchronous streaming copies of an add-on on other hosts
// (README, "Read replicas"). The primary's side is the `replication` kind's for a single instance (the
// replication role, one physical slot per replica, pg_hba.conf's replication lines) and the `cluster-slots`
// kind's for a highly available add-on (Patroni's permanent slots); the copy itself is the `replica` kind's.

/** The role replicas connect to the primary as: dbform's own, never a managed user (whose roles never get
 *  REPLICATION). Its password is derived from the master key (the same on every host, never stored). */
export const REPLICATION_ROLE = 'dbform_replication';

/** Prefix of the physical replication slots dbform makes for read replicas on a primary. */
export const SLOT_PREFIX = 'dbform_replica_';

/** Keystore name of the derived password of an add-on's replication role (as for a highly available one). */
export function replicationPasswordKey(addon: string): string {
  return `addon/${addon}/replication`;
}

/** The slot of the replica on `host`: a slot name is [a-z0-9_] only. */
export function slotName(host: string): string {
  return `${SLOT_PREFIX}${host.toLowerCase().replace(/[^a-z0-9]/g, '_')}`;
}

export function replicaContainerName(addon: string): string {
  return `dbform-${addon}-replica`;
}

/** The replica's data directory on its host: beside the add-ons', never one of theirs. */
export function replicaDataDir(hostDataDir: string, addon: string): string {
  return `${hostDataDir}/.replicas/${addon}`;
}

/** A read replica the primary serves: where it connects from, and its slot. */
export interface ReplicaEndpoint {
  host: string;
  address: string;
  slot: string;
}

/** What runs on a replica's host. */
export interface ReplicaSpec {
  /** The add-on it copies. */
  source: string;
  name: string;
  image: string;
  memoryMb: number;
  port: number;
  /** The primary's settings (without WAL archiving, which is the primary's), and hot_standby = on. */
  settings: Record<string, string>;
  dataDir: string;
  /** A single instance's address; absent when the source is highly available (`cluster`). */
  primary?: { address: string; port: number };
  /** Set when the source is highly available (hosts:). */
  cluster?: ClusterUpstream;
  slot: string;
  /** Names the replica's own server certificate covers (its host's). */
  tlsNames: string[];
  /** specHash of the fields above: a label on the container, any difference means it is made again. */
  spec: string;
}

/** How a read replica of a highly available add-on streams: through the cluster's gateways, as Patroni's
 *  replication user, so that it follows the primary through a failover or switchover without a change. */
export interface ClusterUpstream {
  /** The gateways' addresses (HAProxy on each member host, at `port`, routing to whichever member is the
   *  primary): libpq tries them in turn, and the walreceiver reconnects the same way when its primary goes. */
  gateways: string[];
  port: number;
  /** Patroni's replication user; its password is the add-on's derived replication password. */
  user: string;
  /** The replica's pg_hba.conf: the copied one is Patroni's, which lets in the members only (clients reach a
   *  member through a gateway, which enforces allowedIps); clients reach the replica directly. */
  hba: string;
}

export interface DesiredReplica {
  replica: ReplicaSpec;
  /** Set when the replica is promoted to its own add-on (`promotedFrom:`): which, and where its data goes. */
  promoteTo?: {
    addon: string;
    dataDir: string;
    superuserKey: string;
    /** Its roles whose passwords dbform keeps (keystore): set to its own at promotion, so that its users are
     *  not "passwords dbform does not hold" (ACCESS_CHANGE) right after. Names and keystore keys only. */
    roles: Array<{ name: string; key: string }>;
  };
  /** The source add-on is encrypted at rest; its replica is not (not there yet): the plan warns. */
  sourceEncrypted: boolean;
}

/** The replica as its own PostgreSQL sees it. */
export interface StandbyState {
  /** false once promoted. */
  inRecovery: boolean;
  /** The WAL receiver's status ("streaming"), null when it does not run. */
  receiver: string | null;
  /** Replay is paused (pg_wal_replay_pause). */
  paused: boolean;
  /** Bytes between the primary's WAL position as the replica last heard it and what it replayed, rounded up
   *  to MB (so that the plan's fingerprint does not move with every byte); null when unknown. */
  behindMb: number | null;
  /** Exactly zero bytes behind. */
  caughtUp: boolean;
}

export interface ObservedReplica {
  source: string;
  name: string;
  spec: string;
  running: boolean;
  status: string;
  dataDir: string;
  /** null when not running or PostgreSQL does not answer. */
  standby: StandbyState | null;
}
