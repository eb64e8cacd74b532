// Tells a pull request's own changes apart from drift that was already on the hosts. The config is planned
// twice against the live state: as the base commit has it and as the pull request has it. A change that
// is in both plans (same address, action and target attributes) exists without the pull request, so it
// is drift (or an earlier change that was never applied); a change only in the head plan is the pull
// request's. Base changes whose address the head plan no longer has are differences the file now accepts.

import type { Change, Plan } from '../plan/types.js';
import { canonicalJson } from '../util/canonical.js';

/** What is known of the config at the pull request's base commit. */
export type BaseState =
  | { kind: 'plan'; plan: Plan }
  /** The file does not exist at the base commit: everything in the head plan is the pull request's. */
  | { kind: 'new-file' }
  /** The base could not be read or planned; the comment says why and shows one undivided table. */
  | { kind: 'unavailable'; reason: string };

export interface SplitChanges {
  /** Changes this pull request makes. */
  pr: Change[];
  /** Changes that would be made without the pull request too: drift already on the hosts. */
  drift: Change[];
  /** Base-plan changes absent from the head plan: live differences the pull request's file accepts. */
  resolved: Change[];
}

function identity(c: Change): string {
  // The reason is left out on purpose: it may mention observed values that read differently in the two
  // plans while the change itself is the same.
  return canonicalJson({ address: c.address, action: c.action, after: c.after });
}

export function splitChanges(head: Plan, base: BaseState): SplitChanges {
  if (base.kind !== 'plan') return { pr: [...head.changes], drift: [], resolved: [] };
  const inBase = new Set(base.plan.changes.map(identity));
  const headAddresses = new Set(head.changes.map((c) => c.address));
  return {
    pr: head.changes.filter((c) => !inBase.has(identity(c))),
    drift: head.changes.filter((c) => inBase.has(identity(c))),
    resolved: base.plan.changes.filter((c) => !headAddresses.has(c.address)),
  };
}
