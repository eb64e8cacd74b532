import type { Executor } from '../apply/context.js';
import type { Config } from '../config/types.js';
import type { Change, HazardCode } from '../plan/types.js';
import type { HostReader } from './reader.js';

// The contract every resource kind honours (src/resources/README.md says it in prose). A kind is one
// folder under src/resources/ with a `kind.ts` exporting one ResourceKind, listed once in registry.ts.
// Plan building, gathering, apply and the renderers only ever see kinds through this interface.

/** What a resource belongs to. */
export type Scope =
  /** One add-on: placed on each host the add-on runs on (its members). */
  | 'addon'
  /** One host, whatever runs on it (a host's LUKS capability, its cron). */
  | 'host'
  /** The fleet: one resource placed on several hosts (a consensus store's members). */
  | 'fleet';

/** One resource of a kind, where it lives, and its desired state. */
export interface Placed<D> {
  /** Unique within the kind and stable across runs: "shop", "shop@db-2", "db-1", "etcd@db-3". */
  key: string;
  host: string;
  /** The add-on it belongs to ("" for host and fleet resources). */
  addon: string;
  desired: D;
}

/** What desired-state builders may use besides the config: nothing that needs a host. */
export interface DesiredContext {
  /** Public key of the fleet CA (PEM). */
  caPublicKeyPem: string;
  /** When the plan is made (certificates are judged against it). */
  now: Date;
  /** age recipient (public key) of an add-on's backups, derived from the master key. */
  backupRecipient: (addon: string) => string;
}

export interface ResourceKind<D = unknown, O = unknown> {
  kind: string;
  scope: Scope;
  /**
   * 'instance': observed from inside the add-on's running PostgreSQL; unknown while an existing instance is
   * stopped (the plan then says "known after apply"). 'host': observed from the host itself.
   */
  reads: 'instance' | 'host';
  /** Pure: every resource of this kind the config declares. Bad input throws a ConfigError (file:line:col). */
  desired(config: Config, ctx: DesiredContext): Placed<D>[];
  /** Read-only: the live state of one declared resource, through the host's batched reads. */
  gather(read: HostReader, placed: Placed<D>): Promise<O>;
  /** Read-only: resources of this kind on a host that the config no longer declares (diffed against null).
   *  `desiredOnHost` is every kind's placements on that host, by kind: what may take such a resource's place
   *  (an add-on's single instance, replaced by a member of the cluster the file now makes of it). */
  undeclared?(
    read: HostReader,
    declared: ReadonlySet<string>,
    desiredOnHost: ReadonlyMap<string, readonly Placed<unknown>[]>,
  ): Promise<Array<Omit<Placed<null>, 'desired'> & { observed: O }>>;
  /** Pure: desired (null for an undeclared resource) and observed -> changes, each with its hazards and typed steps. */
  diff(placed: Placed<D | null>, observed: O): Change[];
  /** Pure, optional, instead of `diff` for a fleet resource whose members depend on each other (the consensus
   *  store: a member joins only where another leaves): every placement read (declared, and undeclared with
   *  desired null) at once, and every declared placement, read or not. */
  diffFleet?(entries: Array<{ placed: Placed<D | null>; observed: O }>, declared: readonly Placed<D>[]): Change[];
  /** Pure, optional: what the plan warns about a declared resource that no change can repair (e.g. WAL
   *  archiving that fails), one sentence each. */
  warnings?(placed: Placed<D>, observed: O): string[];
  /** Pure, optional: what the plan tells about a declared resource that is fine (a member's role and lag),
   *  one sentence each. Not a change: a plan with notes only is empty. */
  notes?(placed: Placed<D>, observed: O): string[];
  /** The step types this kind's changes carry, and how apply runs each (reading only its own step). */
  executors: Record<string, Executor>;
  /** Every hazard code this kind's changes can carry. */
  hazards: readonly HazardCode[];
}

/** A registry entry, with its types erased: the pipeline handles every kind alike. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKind = ResourceKind<any, any>;
