import { canonicalSha256Hex } from '../util/canonical.js';
import type { Plan } from './types.js';

// Identifies "the plan a reviewer saw": the changes (what, why, before/after, hazards, steps), the
// config it came from and the live state it was computed against. Apply on merge recomputes it and
// refuses to run anything else than what the pull request showed.
// A change's maintenance window counts, but not whether it was open when the plan was made: that depends on
// the clock only, and the apply on merge of a reviewed plan must not be refused because a window opened.
export function planFingerprint(plan: Plan): string {
  const changes = plan.changes.map((c) => (c.window ? { ...c, window: { window: c.window.window, timezone: c.window.timezone, because: c.window.because } } : c));
  return canonicalSha256Hex({ config: plan.config.sha256, observed: plan.observedFingerprint, changes }).slice(0, 16);
}
