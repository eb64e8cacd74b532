import type { Config } from '../../config/types.js';
import { loadConfig } from '../../config/load.js';
import type { Plan } from '../../plan/types.js';
import type { RenderFormat } from '../../render/index.js';
import { render } from '../../render/index.js';
import { computePlan } from '../compute-plan.js';
import { err, out, useColor, warn } from '../terminal.js';
import { writePlanFile } from '../plan-file.js';
import { openConfigSession, reportHostErrors } from '../session.js';

// `plan` in two layers: planFleet does the work and returns data (the GitHub Action calls it too);
// planCommand prints that data and turns it into the exit code.

/**
 * What the exit code tells: `no-changes` 0; `changes` 2 with --detailed-exitcode, else 0;
 * `incomplete` (a host could not be read, whatever the rest shows) 1.
 */
export type PlanStatus = 'no-changes' | 'changes' | 'incomplete';

export interface PlanResult {
  plan: Plan;
  /** Hosts left out of the plan, and why (each is also named in plan.warnings). */
  hostErrors: Map<string, string>;
  status: PlanStatus;
}

/** Gathers (read-only) and diffs; never changes anything. `warn` gets warnings such as a new master key. */
export async function planFleet(config: Config, warnings: (message: string) => void): Promise<PlanResult> {
  const session = await openConfigSession(config, warnings);
  try {
    const { plan } = await computePlan(session);
    const hostErrors = new Map(session.hostErrors);
    return { plan, hostErrors, status: hostErrors.size ? 'incomplete' : plan.changes.length ? 'changes' : 'no-changes' };
  } finally {
    await session.close();
  }
}

export function planExitCode(result: PlanResult, detailedExitcode: boolean): 0 | 1 | 2 {
  if (result.status === 'incomplete') return 1;
  return detailedExitcode && result.status === 'changes' ? 2 : 0;
}

export interface PlanOptions {
  file: string;
  out?: string;
  format: RenderFormat;
  detailedExitcode: boolean;
}

export async function planCommand(opts: PlanOptions): Promise<number> {
  const result = await planFleet(loadConfig(opts.file), warn);
  out(render(result.plan, opts.format, { color: useColor() }));
  if (opts.out) {
    writePlanFile(opts.out, result.plan);
    err(`Saved the plan to ${opts.out}; apply exactly it with: dbform apply ${opts.out}`);
  }
  reportHostErrors(result, err);
  return planExitCode(result, opts.detailedExitcode);
}
