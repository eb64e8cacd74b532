// One read-only plan of a config (from the file on disk, or from the text of another commit), as the
// CLI's plan command computes it. The session is closed before returning.

import { computePlan } from '../cli/compute-plan.js';
import { err } from '../cli/output.js';
import { openSession } from '../cli/session.js';
import { loadConfig } from '../config/load.js';
import type { Plan } from '../plan/types.js';
import { registerConfigSecrets } from './secrets.js';

export interface PlannedConfig {
  plan: Plan;
  /** Hosts left out of the plan, and why (also in plan.warnings). */
  hostErrors: Map<string, string>;
}

export async function planConfig(file: string, text?: string): Promise<PlannedConfig> {
  registerConfigSecrets(loadConfig(file, text));
  const session = await openSession(file, (m) => err(`Warning: ${m}`), text);
  try {
    const { plan } = await computePlan(session);
    return { plan, hostErrors: new Map(session.hostErrors) };
  } finally {
    await session.close();
  }
}
