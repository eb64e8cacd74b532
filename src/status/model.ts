// What `dbform status` reports, as plain data: the one shape that `status --format json`, `dbform metrics`
// and the dashboard's API all read. Sizes are bytes, durations seconds, times ISO 8601 (UTC). A figure that
// does not exist or could not be read is null, never a guess.

export type AddonState = 'running' | 'stopped' | 'absent' | 'unknown';

export interface MemberStatus {
  /** The container's name (dbform-ADDON): one per host, a highly available add-on's Patroni member on each;
   *  a read replica's is dbform-ADDON-replica. */
  name: string;
  host: string;
  /** What the catalog says (pg_is_in_recovery): a single instance is the primary, except while it replays WAL. */
  role: 'primary' | 'replica';
  state: AddonState;
  startedAt: string | null;
  /** Share of one CPU used over the sampling window (100 = one full core). */
  cpuPercent: number | null;
  /** CPU time used since the container started (a counter, for Prometheus' rate()). */
  cpuSecondsTotal: number | null;
  memory: { current: number | null; peak: number | null; limit: number | null; free: number | null };
  swap: { current: number | null; limit: number | null };
  connections: { open: number | null; max: number | null };
  /** Logical size of the add-on's databases (pg_database_size), and what its data directory takes on disk. */
  dataSize: number | null;
  diskSize: number | null;
  /** The add-on's disk quota (`disk:` or its plan's, the disk guard's 100 %) and the filesystem that holds the data directory. */
  disk: { quota: number | null; filesystemSize: number | null; filesystemFree: number | null };
  /** What the disk-full guard found at its last run (host/dbform-diskguard.sh, every minute); null: no run yet. */
  diskGuard: DiskGuardStatus | null;
  /** A replica's delay in seconds (0 once it replayed all it received); null for a primary. */
  replicationLagSeconds: number | null;
  /** A replica's WAL not replayed yet, in bytes (up to the primary's position as it last heard it); null for a primary. */
  replicationLagBytes: number | null;
  /** An asynchronous read replica (`readReplicas:`), not a member of the add-on's own (its role is then replica). */
  readReplica: boolean;
}

/** A highly available add-on's gateway (HAProxy) on one of its hosts: its container's figures only. */
export interface GatewayStatus {
  /** The container's name (dbform-ADDON-gateway). */
  name: string;
  host: string;
  state: AddonState;
  startedAt: string | null;
  cpuPercent: number | null;
  cpuSecondsTotal: number | null;
  /** No limit is set on a gateway: limit is null unless its cgroup has one. */
  memory: { current: number | null; peak: number | null; limit: number | null };
}

export interface DiskGuardStatus {
  mode: 'read-only' | 'read-write' | null;
  /** Share of the disk used, in whole percent: the larger of the quota's and the filesystem's. */
  percent: number | null;
  checkedAt: string | null;
  /** Why its last run could not measure or switch. */
  error: string | null;
}

export interface BackupSummary {
  /** The newest backup whose status is ok, or null when there is none. */
  lastGood: { id: string; startedAt: string; size: number | null } | null;
  count: number;
  /** Why the backups could not be listed (the figures above are then unknown). */
  error: string | null;
}

export interface PitrSummary {
  window: { earliest: string; latest: string } | null;
  status: string;
  lastArchivedAt: string | null;
  failedCount: number | null;
  error: string | null;
}

export interface DriftSummary {
  /** Changes a plan would make to this add-on (0: it matches the file); null when it could not be checked. */
  changes: number | null;
  /** The changes' one-line reasons ("memory 256 MB -> 512 MB"). */
  reasons: string[];
  error: string | null;
}

export interface AddonStatus {
  addon: string;
  plan: string;
  host: string;
  /** Declared major version; the server's own version string when it runs. */
  version: string;
  serverVersion: string | null;
  state: AddonState;
  /** Its instance, or a cluster's members, then its read replicas. */
  members: MemberStatus[];
  /** A highly available add-on's gateways, one per host; empty for other add-ons. */
  gateways: GatewayStatus[];
  /** null: the plan takes no backups (sandbox) or they are off. */
  backups: BackupSummary | null;
  /** null: point-in-time recovery is off. */
  pitr: PitrSummary | null;
  /** null: drift was not checked in this sample. */
  drift: DriftSummary | null;
  /** Why some figures are missing (host unreachable, catalog unreadable), one sentence each. */
  errors: string[];
}

export interface FleetStatus {
  formatVersion: 1;
  /** When the sample was taken. */
  at: string;
  addons: AddonStatus[];
  /** Hosts that could not be read, and why. */
  hostErrors: Record<string, string>;
}
