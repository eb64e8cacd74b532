import type { HazardCode, Plan } from '../plan/types.js';
import { HAZARD_CODES } from '../plan/types.js';
import { UserError } from '../util/errors.js';

export function parseAllowedHazards(value: string | undefined): Set<HazardCode> {
  const out = new Set<HazardCode>();
  for (const raw of (value ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean)) {
    if (raw === 'ALL') {
      HAZARD_CODES.forEach((h) => out.add(h));
      continue;
    }
    if (!HAZARD_CODES.includes(raw as HazardCode)) {
      throw new UserError(`--allow-hazards: unknown hazard ${raw}; known: ${HAZARD_CODES.join(', ')}`);
    }
    out.add(raw as HazardCode);
  }
  return out;
}

/** Refuses a plan with hazards the user did not allow, naming each change and the exact flag to pass. */
export function checkHazards(plan: Plan, allowed: Set<HazardCode>): void {
  const refused = plan.changes.flatMap((c) => c.hazards.filter((h) => !allowed.has(h.code)).map((h) => ({ c, h })));
  if (!refused.length) return;
  const codes = HAZARD_CODES.filter((code) => plan.changes.some((c) => c.hazards.some((h) => h.code === code)));
  const lines = refused.map(({ c, h }) => `  ${c.address}: ${h.code}: ${h.message}`);
  throw new UserError(
    `apply refused: the plan has hazardous changes that were not allowed:\n${lines.join('\n')}\n` +
      `Review them, then run again with --allow-hazards ${codes.join(',')}`,
  );
}
