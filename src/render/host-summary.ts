// Per-host totals of a large plan: with a thousand add-ons on twenty hosts, a reader first wants to know
// where the changes are and how many, before the thousands of lines (or the comment's shortened tables).
// Pure: every renderer builds its view from these rows, not from another renderer's text.

import { summarize, type Change, type HazardCode, type Plan } from '../plan/types.js';

export interface HostSummary {
  host: string;
  /** Add-ons with at least one change on this host. */
  addons: number;
  add: number;
  change: number;
  destroy: number;
  /** Hazard codes of this host's changes, in the plan's hazard order. */
  hazards: HazardCode[];
}

/** From this many changes on two hosts or more, the renderers add the per-host summary. Smaller plans read
 *  whole at a glance (and keep their output as it was). */
export const HOST_SUMMARY_MIN_CHANGES = 100;

export function wantsHostSummary(plan: Pick<Plan, 'changes'>): boolean {
  if (plan.changes.length < HOST_SUMMARY_MIN_CHANGES) return false;
  const first = plan.changes[0]!.host;
  return plan.changes.some((c) => c.host !== first);
}

/** One row per host with changes, by host name; counts as `summarize` counts them (replace = add + destroy). */
export function summarizeByHost(changes: readonly Change[]): HostSummary[] {
  const byHost = new Map<string, Change[]>();
  for (const c of changes) {
    const list = byHost.get(c.host);
    if (list) list.push(c);
    else byHost.set(c.host, [c]);
  }
  return [...byHost.keys()].sort().map((host) => {
    const own = byHost.get(host)!;
    const s = summarize({ changes: own } as Plan);
    return { host, addons: new Set(own.map((c) => c.addon).filter(Boolean)).size, add: s.add, change: s.change, destroy: s.destroy, hazards: s.hazards };
  });
}
