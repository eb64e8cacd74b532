// `command: drift`, on a schedule: plans the config on the default branch; when the hosts differ from
// it, opens (or updates) the one drift issue for the file; when they match again, closes it.

import { out } from '../cli/output.js';
import { planFingerprint } from '../plan/fingerprint.js';
import { render } from '../render/index.js';
import { escapeInline } from '../render/markdown-escape.js';
import { requireRepo } from './context.js';
import { renderDriftIssue } from './drift-body.js';
import { closeDrift, reportDrift } from './drift-issue.js';
import { planConfig } from './plan-config.js';
import { hostFailure, savePlan, type RunDeps, type RunResult } from './run.js';

export async function runDrift(d: RunDeps): Promise<RunResult> {
  const { ctx, inputs } = d;
  const repo = requireRepo(ctx);
  const { plan, hostErrors } = await planConfig(inputs.config);
  out(render(plan, 'text'));
  const result: RunResult = {
    exitcode: hostErrors.size ? 1 : plan.changes.length ? 2 : 0,
    hasChanges: plan.changes.length > 0,
    fingerprint: planFingerprint(plan),
    planFile: savePlan(ctx, inputs.config, plan),
    failure: hostFailure(hostErrors),
  };

  if (plan.changes.length > 0) {
    const { issue, created } = await reportDrift(d.api, repo, inputs.config, renderDriftIssue({ configPath: inputs.config, plan, sha: ctx.sha, runUrl: ctx.runUrl }));
    d.log.info(`${created ? 'Opened' : 'Updated'} the drift issue #${issue.number}: ${issue.html_url ?? ''}`);
  } else if (hostErrors.size === 0) {
    // Closed only when every host was read: an unreachable host may still hold the drift.
    const run = ctx.runUrl ? ` ([workflow run](${ctx.runUrl}))` : '';
    const closed = await closeDrift(
      d.api,
      repo,
      inputs.config,
      `The drift is gone: the live state matches ${escapeInline(inputs.config)} again at commit ${escapeInline(ctx.sha.slice(0, 7))}${run}. Closing.`,
    );
    d.log.info(closed ? `No drift any more: closed issue #${closed}.` : 'No drift.');
  }
  return result;
}
