// The plan is plain data: what changes, why it can hurt, and the steps apply will run. Every renderer
// (text, markdown, json) reads this object; apply executes its steps and nothing else.
// Nothing in a plan may be a secret: steps refer to secrets by SecretRef and apply resolves them.

export type Action = 'create' | 'update' | 'replace' | 'delete';

/** Closed set of hazard codes, named after what a user stands to lose. */
export type HazardCode = 'DATA_LOSS' | 'RESTART' | 'ACCESS_CHANGE' | 'BACKUPS_DISABLED' | 'MAJOR_UPGRADE' | 'FAILOVER';
export const HAZARD_CODES: readonly HazardCode[] = ['DATA_LOSS', 'RESTART', 'ACCESS_CHANGE', 'BACKUPS_DISABLED', 'MAJOR_UPGRADE', 'FAILOVER'];

export interface Hazard {
  code: HazardCode;
  /** A plain sentence: what will happen to the user's data, clients or availability. */
  message: string;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type Attrs = { [k: string]: JsonValue };

/** Where apply finds a secret: never the secret itself. */
export type SecretRef =
  | { source: 'env'; name: string }
  | { source: 'keystore'; key: string; generate: boolean };

/** One unit of work for apply. `type` selects the executor registered by the resource kind. */
export interface Step {
  type: string;
  [k: string]: JsonValue | SecretRef | undefined;
}

export interface Change {
  /** Stable address, e.g. "addon.my-app.user.reporting"; the sort key of the plan. */
  address: string;
  /** Resource kind that produced the change ("container", "database", "user"). */
  kind: string;
  host: string;
  addon: string;
  action: Action;
  /** Why this change is needed, one line ("container is stopped", "memory 256 MB -> 512 MB"). */
  reason: string;
  /** Non-secret attributes before and after; null before = create, null after = delete. */
  before: Attrs | null;
  after: Attrs | null;
  hazards: Hazard[];
  steps: Step[];
  /** Set when a file dbform renders on the host was edited by hand: what apply will undo, line by line. */
  fileDiff?: FileDiff;
  /** Set when the change may run only inside its add-on's maintenance window (src/maintenance/hold.ts). */
  window?: WindowHold;
}

/** Why and until when a change waits for its add-on's maintenance window. */
export interface WindowHold {
  /** As declared ("sun 03:00-05:00"), read in `timezone`. */
  window: string;
  timezone: string;
  /** Its own disruptive hazard, or the earlier change of its add-on it has to follow. */
  because: string;
  /** When the plan was made: whether the window was open, and when that window or the next one starts
   *  (ISO 8601 with the zone's offset). Clock-dependent, so not part of the plan's fingerprint. */
  openNow: boolean;
  opensAt: string;
}

/**
 * A unified diff of a file on a host (-) against what dbform will write there (+), for review. Only for
 * files that hold no secret; bounded so that a mangled file cannot flood a plan or a pull-request comment.
 */
export interface FileDiff {
  /** Where the file is: "HOST:PATH". */
  file: string;
  /** Hunks as in a unified diff: "@@ -a,b +c,d @@" headers, then " ", "-" and "+" lines. Tabs are expanded. */
  lines: string[];
  /** Diff lines left out after the first ones, to keep the plan short. */
  omitted: number;
}

export interface Plan {
  formatVersion: 1;
  config: { file: string; sha256: string };
  /** SHA-256 of the gathered live state this plan was computed from; apply refuses a stale plan. */
  observedFingerprint: string;
  changes: Change[];
  /** Things the user should know that are not changes (e.g. an unreachable add-on). */
  warnings: string[];
  /** How things are that need no change (each highly available member's role and lag); absent when none. */
  notes?: string[];
  /** Hosts whose live state was not read (unreachable, or their state unreadable): nothing is known of them,
   *  so an empty plan means "no changes on the other hosts", never "the live state matches". */
  hostsNotRead: HostNotRead[];
  /** add-on -> where its instance listens once applied: apply's SQL sessions connect there. */
  instances: Record<string, InstanceEndpoint>;
}

export interface InstanceEndpoint {
  host: string;
  port: number;
}

export interface HostNotRead {
  host: string;
  reason: string;
}

/** The verdict of a plan without changes, which must not claim more than what was read. */
export function noChangesVerdict(plan: Plan): { headline: string; detail: string } {
  const n = plan.hostsNotRead.length;
  if (n === 0) return { headline: 'No changes.', detail: `The live state matches ${plan.config.file}.` };
  return {
    headline: 'No changes on the hosts that were read;',
    detail: `${n} host${n === 1 ? ' was' : 's were'} not read (${plan.hostsNotRead.map((h) => h.host).join(', ')}: see above).`,
  };
}

export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  hazards: HazardCode[];
}

export function summarize(plan: Plan): PlanSummary {
  let add = 0;
  let change = 0;
  let destroy = 0;
  const hazards = new Set<HazardCode>();
  for (const c of plan.changes) {
    if (c.action === 'create') add++;
    else if (c.action === 'update') change++;
    else if (c.action === 'delete') destroy++;
    else {
      // replace = destroy + create, as Terraform counts it
      add++;
      destroy++;
    }
    for (const h of c.hazards) hazards.add(h.code);
  }
  return { add, change, destroy, hazards: HAZARD_CODES.filter((h) => hazards.has(h)) };
}
