// The plan catalog (SPEC "Plans", from the seeds) and the PostgreSQL settings derived from a plan's memory.
// A plan is what a user buys in a managed offer: a memory limit, a backup retention, PITR or not, HA or not.
// Everything here is pure data so the schema, the validator and the diff all agree on one list.

export type PlanTier = 'sandbox' | 'starter' | 'business';

/** How many backups of each kind pruning keeps. Sandbox keeps none (it takes none). */
export interface Retention {
  daily: number;
  weekly: number;
  monthly: number;
  manual: number;
}

/** Point-in-time recovery: WAL archiving plus `fullBackupsKept` weekly base backups, restorable over `windowDays`. */
export interface PitrPolicy {
  fullBackupsKept: number;
  windowDays: number;
}

export interface PlanSpec {
  name: string;
  tier: PlanTier;
  /** Container hard memory limit, in MB. */
  memoryMb: number;
  /** Disk quota of the data directory, in MB (`disk:` overrides it): read-only above 95 %, LUKS volume size. */
  diskMb: number;
  /** PostgreSQL nodes: 1, or 2 (primary + streaming replica, behind a gateway) for business plans. */
  nodes: 1 | 2;
  ha: boolean;
  /** Whether daily logical backups are taken at all (sandbox: no). */
  backups: boolean;
  retention: Retention;
  /** null when the plan has no point-in-time recovery. */
  pitr: PitrPolicy | null;
}

const STARTER_SIZES = [256, 512, 1024, 2048, 4096, 8192] as const;
const BUSINESS_SIZES = [512, 1024, 2048, 4096, 8192] as const;

// Disk grows with the plan as in the seeds' offers: a starter gets 8 times its memory (512 MB -> 4 GB),
// a business plan 16 times (1024 MB -> 16 GB) on each of its nodes.
const STARTER_DISK_PER_MEMORY = 8;
const BUSINESS_DISK_PER_MEMORY = 16;

const NO_RETENTION: Retention = { daily: 0, weekly: 0, monthly: 0, manual: 0 };
const STARTER_RETENTION: Retention = { daily: 7, weekly: 4, monthly: 0, manual: 10 };
const BUSINESS_RETENTION: Retention = { daily: 7, weekly: 8, monthly: 12, manual: 50 };
const SEVEN_DAY_PITR: PitrPolicy = { fullBackupsKept: 1, windowDays: 7 };

function buildCatalog(): PlanSpec[] {
  const sandbox: PlanSpec = {
    name: 'postgresql-sandbox',
    tier: 'sandbox',
    memoryMb: 256,
    diskMb: 1024,
    nodes: 1,
    ha: false,
    backups: false,
    retention: NO_RETENTION,
    pitr: null,
  };
  const starters = STARTER_SIZES.map(
    (mb): PlanSpec => ({
      name: `postgresql-starter-${mb}`,
      tier: 'starter',
      memoryMb: mb,
      diskMb: mb * STARTER_DISK_PER_MEMORY,
      nodes: 1,
      ha: false,
      backups: true,
      retention: STARTER_RETENTION,
      pitr: SEVEN_DAY_PITR,
    }),
  );
  const business = BUSINESS_SIZES.map(
    (mb): PlanSpec => ({
      name: `postgresql-business-${mb}`,
      tier: 'business',
      memoryMb: mb,
      diskMb: mb * BUSINESS_DISK_PER_MEMORY,
      nodes: 2,
      ha: true,
      backups: true,
      retention: BUSINESS_RETENTION,
      pitr: SEVEN_DAY_PITR,
    }),
  );
  return [sandbox, ...starters, ...business];
}

/** Every plan, in catalog order (sandbox, starters by size, business by size). Frozen: shared by all callers. */
export const PLANS: readonly PlanSpec[] = Object.freeze(buildCatalog().map((p) => Object.freeze(p)));

export const PLAN_NAMES: readonly string[] = Object.freeze(PLANS.map((p) => p.name));

const BY_NAME = new Map(PLANS.map((p) => [p.name, p]));

export function lookupPlan(name: string): PlanSpec | undefined {
  return BY_NAME.get(name);
}

/**
 * PostgreSQL settings sized for a container with `memoryMb` of memory (the usual rules of thumb:
 * a quarter for shared buffers, three quarters assumed cached by the OS, work_mem so that a full
 * set of connections each sorting once stays within a quarter of the memory).
 */
export function postgresSettings(memoryMb: number): Record<string, string> {
  const maxConnections = clamp(Math.round(memoryMb / 10) + 25, 50, 500);
  const workMemKb = Math.max(1024, Math.floor((memoryMb * 1024 * 0.25) / maxConnections));
  return {
    shared_buffers: `${Math.floor(memoryMb * 0.25)}MB`,
    effective_cache_size: `${Math.floor(memoryMb * 0.75)}MB`,
    max_connections: String(maxConnections),
    work_mem: `${workMemKb}kB`,
    maintenance_work_mem: `${Math.max(16, Math.floor(memoryMb / 16))}MB`,
  };
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
