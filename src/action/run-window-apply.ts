// `command: apply` on a schedule (or run by hand): applies the changes that wait for a maintenance window
// and only those, when their window is open. They were reviewed on the pull request that introduced them and
// deferred by its apply on merge; any other difference from the file is drift, left to the drift issue and
// to the next reviewed pull request. The job log shows what ran and what still waits.

import { parseAllowedHazards } from '../apply/gate.js';
import { applyExitCode } from '../apply/result.js';
import { applyFleet } from '../cli/commands/apply.js';
import { out } from '../cli/terminal.js';
import { planFingerprint } from '../plan/fingerprint.js';
import { printingHooks } from '../render/apply-text.js';
import { render } from '../render/index.js';
import { applyReport } from './apply-report.js';
import { loadActionConfig } from './config.js';
import type { RunDeps, RunResult } from './run.js';
import { savePlan } from './run.js';

/** Events on which `apply` runs the deferred changes instead of a merged pull request's plan. */
export const WINDOW_EVENTS: ReadonlySet<string> = new Set(['schedule', 'workflow_dispatch']);

export async function runWindowApply(d: RunDeps): Promise<RunResult> {
  const { ctx, inputs } = d;
  const result = await applyFleet({
    config: loadActionConfig(inputs.config),
    allowed: parseAllowedHazards(inputs.allowHazards),
    lockTimeoutSeconds: inputs.lockTimeoutSeconds,
    onlyHeld: true,
    warn: (m) => d.log.warning(m),
    events: { ...printingHooks(out, false), planned: (plan) => out(render(plan, 'text')) },
  });
  const fingerprint = result.plan ? planFingerprint(result.plan) : undefined;
  const report = applyReport(result, fingerprint ?? '');
  if (report.outcome.kind === 'refused') d.log.warning(report.outcome.reason);
  else d.log.info(report.outcome.summary);
  return {
    exitcode: applyExitCode(result),
    hasChanges: (result.plan?.changes.length ?? 0) > 0,
    fingerprint,
    planFile: result.plan ? savePlan(ctx, inputs.config, result.plan) : undefined,
    failure: report.failure,
  };
}
