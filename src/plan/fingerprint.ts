import { canonicalSha256Hex } from '../util/canonical.js';
import type { Plan } from './types.js';

// Identifies "the plan a reviewer saw": the changes (what, why, before/after, hazards, steps), the
// config it came from and the live state it was computed against. Apply on merge recomputes it and
// refuses to run anything else than what the pull request showed.
export function planFingerprint(plan: Plan): string {
  return canonicalSha256Hex({ config: plan.config.sha256, observed: plan.observedFingerprint, changes: plan.changes }).slice(0, 16);
}
