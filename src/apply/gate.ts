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

/** A hazard of a change that the user did not allow: apply refuses the whole plan for it. */
export interface RefusedHazard {
  address: string;
  code: HazardCode;
  message: string;
}

/** The plan's hazards that are not allowed, in plan order; empty when apply may go ahead. */
export function refusedHazards(plan: Plan, allowed: Set<HazardCode>): RefusedHazard[] {
  return plan.changes.flatMap((c) => c.hazards.filter((h) => !allowed.has(h.code)).map((h) => ({ address: c.address, code: h.code, message: h.message })));
}

/**
 * Names each refused change and says how to allow them: `howToAllow` is the end of the last sentence
 * ("run again with --allow-hazards DATA_LOSS" for the CLI, the input to set for the GitHub Action).
 */
export function hazardRefusalMessage(refused: RefusedHazard[], howToAllow: string): string {
  const lines = refused.map((r) => `  ${r.address}: ${r.code}: ${r.message}`);
  return `apply refused: the plan has hazardous changes that were not allowed:\n${lines.join('\n')}\nReview them, then ${howToAllow}`;
}
