import { readFileSync, writeFileSync } from 'node:fs';
import type { Plan } from '../plan/types.js';
import { UserError } from '../util/errors.js';

// A saved plan (`plan --out`) is the Plan object with its steps, as JSON. It holds no secret: steps
// name where a password comes from, never the password.
const MAGIC = 'dbform-plan';

export function writePlanFile(path: string, plan: Plan): void {
  writeFileSync(path, JSON.stringify({ kind: MAGIC, plan }, null, 2) + '\n', { mode: 0o600 });
}

export function readPlanFile(path: string): Plan {
  let parsed: { kind?: string; plan?: Plan };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path}: not a readable plan file (${(e as Error).message})`);
  }
  if (parsed.kind !== MAGIC || parsed.plan?.formatVersion !== 1) {
    throw new UserError(`${path}: not a dbform plan file (made by \`dbform plan --out\`)`);
  }
  // Plans saved before hostsNotRead existed read every host they name.
  return { ...parsed.plan, hostsNotRead: parsed.plan.hostsNotRead ?? [], instances: parsed.plan.instances ?? {} };
}
