// Plan pairs for the pull-request comment golden tests: the plan of the base commit's file and the plan of
// the pull request's file, both against the same live state (same observed fingerprint), as the action
// computes them. Built from the render fixtures so that both golden suites describe one fleet.

import type { Change, Plan } from '../../src/plan/types.js';
import type { BaseState } from '../../src/action/split.js';
import { STEP_MARKER, empty, firstApply, update } from './plans.js';

export interface CommentCase {
  head: Plan;
  base: BaseState;
  headSha: string;
}

const HEAD_SHA = '4f1c2d3e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d';

function plan(changes: Change[], warnings: string[] = []): Plan {
  return { ...empty, changes, warnings };
}

function pick(from: Plan, address: string): Change {
  const c = from.changes.find((x) => x.address === address);
  if (!c) throw new Error(`fixture: no change ${address}`);
  return c;
}

// Drift made by hand on db-1: the read-only user was given INSERT and UPDATE.
const reportingDrift = pick(update, 'addon.shop.user.reporting');
// The pull request's own change: shop moves to a bigger plan.
const shopResize = pick(update, 'addon.shop.container');
// Drift on the base branch that the pull request's file accepts (the user was dropped by hand, and the
// pull request removes it from the file).
const analystMissing: Change = {
  ...pick(firstApply, 'addon.shop.user.reporting'),
  address: 'addon.shop.user.analyst',
  reason: 'user is missing on the host (dropped outside dbform)',
  after: { name: 'analyst', access: 'read-write', login: true },
};
const blogAddon = firstApply.changes.filter((c) => c.addon === 'blog');

/** Many add-ons at once (a fleet imported into dbform), and drift on top: too long for one comment. */
function bigFleet(): { head: Plan; base: Plan } {
  const changes: Change[] = [];
  for (let i = 0; i < 120; i++) {
    const name = `tenant-${String(i).padStart(3, '0')}`;
    for (const c of blogAddon) {
      changes.push({
        ...c,
        address: c.address.replaceAll('blog', name),
        addon: name,
        after: c.after && { ...JSON.parse(JSON.stringify(c.after).replaceAll('blog', name)), ...(c.kind === 'container' ? { port: 32000 + i } : {}) },
      });
    }
  }
  const drift = [reportingDrift, { ...shopResize, reason: 'memory limit changed by hand: 1024 MB -> 512 MB', hazards: [] }];
  return { head: plan([...changes, ...drift].sort((a, b) => a.address.localeCompare(b.address))), base: plan(drift) };
}

const big = bigFleet();

export const COMMENT_CASES: Record<string, CommentCase> = {
  'no-changes': { head: empty, base: { kind: 'plan', plan: empty }, headSha: HEAD_SHA },
  'changes-only': { head: plan(blogAddon), base: { kind: 'plan', plan: empty }, headSha: HEAD_SHA },
  'drift-only': { head: plan([reportingDrift]), base: { kind: 'plan', plan: plan([reportingDrift]) }, headSha: HEAD_SHA },
  'changes-and-drift': {
    head: plan([shopResize, reportingDrift]),
    base: { kind: 'plan', plan: plan([analystMissing, reportingDrift]) },
    headSha: HEAD_SHA,
  },
  hazards: {
    head: plan(update.changes, ['host db-3 is left out of this plan: ssh: connect to 10.77.0.13 port 22: connection refused']),
    base: { kind: 'plan', plan: plan([reportingDrift]) },
    headSha: HEAD_SHA,
  },
  'new-file': { head: plan(blogAddon), base: { kind: 'new-file' }, headSha: HEAD_SHA },
  'base-unavailable': {
    head: plan([shopResize, reportingDrift]),
    base: { kind: 'unavailable', reason: 'commit 0a1b2c3 is not in this clone; check out with fetch-depth: 0' },
    headSha: HEAD_SHA,
  },
  shortened: { head: big.head, base: { kind: 'plan', plan: big.base }, headSha: HEAD_SHA },
};

export { STEP_MARKER };
