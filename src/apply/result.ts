// What an apply run did, as data: the CLI prints it, the GitHub Action posts it on the pull request.

import type { Change, HazardCode, Plan } from '../plan/types.js';
import type { ApplyHooks, HostResult } from './apply.js';
import type { RefusedHazard } from './gate.js';
import type { DeferredChange } from '../maintenance/hold.js';

/** What happened to one change of the plan. */
export type ChangeOutcome = Pick<Change, 'address' | 'host' | 'addon' | 'action'> & OutcomeOnly;

type OutcomeOnly = { status: 'applied'; ms: number } | { status: 'failed'; error: string } | { status: 'skipped'; because: string };

/** The outcome of `change`, naming it by its address, host, add-on and action. */
export function changeOutcome(change: Change, outcome: OutcomeOnly): ChangeOutcome {
  return { address: change.address, host: change.host, addon: change.addon, action: change.action, ...outcome };
}

/** Why nothing was applied. */
export type ApplyRefusal =
  /** A saved plan: the file changed since it was made. */
  | { reason: 'stale-config' }
  /** A saved plan: the live state changed since it was made. */
  | { reason: 'stale-live' }
  /** The plan is not the reviewed one (expectFingerprint). */
  | { reason: 'not-reviewed'; expected: string; actual: string }
  /** The plan has hazards that were not allowed; `allowWith` is every hazard code of the plan. */
  | { reason: 'hazards'; hazards: RefusedHazard[]; allowWith: HazardCode[] };

interface Base {
  /** Hosts left out of the run (unreachable, locked by another apply, unreadable), and why. */
  hostErrors: Map<string, string>;
}

export type ApplyResult =
  /** `plan`: the fresh plan, when one was computed before the refusal. */
  | (Base & { status: 'refused'; refusal: ApplyRefusal; plan?: Plan })
  | (Base & { status: 'cancelled'; plan: Plan })
  | (Base & { status: 'no-changes'; plan: Plan })
  /** `failed`: a change failed or a host was left out; the other hosts were applied. `deferred`: changes of
   *  the plan not run because their maintenance window is closed (exit code 0: they run in the window). */
  | (Base & { status: 'applied' | 'failed'; plan: Plan; changes: ChangeOutcome[]; hosts: HostResult[]; ms: number; deferred: DeferredChange[] });

export type ApplyRun = Extract<ApplyResult, { status: 'applied' | 'failed' }>;

/** 0: applied, or nothing to apply; 1: refused, cancelled, a change failed, or a host was left out. */
export function applyExitCode(result: ApplyResult): 0 | 1 {
  if (result.status === 'applied') return 0;
  if (result.status === 'no-changes') return result.hostErrors.size ? 1 : 0;
  return 1;
}

/** Passes every event on to `hooks`, keeping each change's outcome in `outcomes` (in the order they end). */
export function recordOutcomes(hooks: ApplyHooks, outcomes: ChangeOutcome[]): ApplyHooks {
  const record = (outcome: ChangeOutcome) => outcomes.push(outcome);
  return {
    start: (ch) => hooks.start(ch),
    progress: (host, m) => hooks.progress(host, m),
    done: (ch, ms) => {
      record(changeOutcome(ch, { status: 'applied', ms }));
      hooks.done(ch, ms);
    },
    failed: (ch, e) => {
      record(changeOutcome(ch, { status: 'failed', error: e.message }));
      hooks.failed(ch, e);
    },
    skipped: (ch, because) => {
      record(changeOutcome(ch, { status: 'skipped', because }));
      hooks.skipped(ch, because);
    },
  };
}
