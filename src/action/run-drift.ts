// `command: drift`, on a schedule: the check `dbform drift` makes (the plan of the config on the default
// branch, and the age of each add-on's last backup). While the hosts differ from the file or backups are
// late, it opens (or updates) the one drift issue for the file; once all is well again, it closes it.

import { checkDrift, DRIFT_EXIT_CODES } from '../cli/commands/drift.js';
import { out } from '../cli/terminal.js';
import { planFingerprint } from '../plan/fingerprint.js';
import { render } from '../render/index.js';
import { escapeInline } from '../render/markdown-escape.js';
import { loadActionConfig } from './config.js';
import { requireRepo } from './context.js';
import { renderDriftIssue } from './drift-body.js';
import { closeDrift, reportDrift } from './drift-issue.js';
import { hostFailure, savePlan, type RunDeps, type RunResult } from './run.js';

export async function runDrift(d: RunDeps): Promise<RunResult> {
  const { ctx, inputs } = d;
  const repo = requireRepo(ctx);
  const drift = await checkDrift(loadActionConfig(inputs.config), (m) => d.log.warning(m));
  const { plan } = drift;
  out(render(plan, 'text'));
  const drifted = plan.changes.length > 0 || drift.lateBackups.length > 0;
  const result: RunResult = {
    exitcode: DRIFT_EXIT_CODES[drift.status],
    hasChanges: drifted,
    fingerprint: planFingerprint(plan),
    planFile: savePlan(ctx, inputs.config, plan),
    failure: hostFailure(drift.hostErrors),
  };

  if (drifted) {
    const body = renderDriftIssue({ configPath: inputs.config, plan, lateBackups: drift.lateBackups, sha: ctx.sha, runUrl: ctx.runUrl });
    const { issue, created } = await reportDrift(d.api, repo, inputs.config, body);
    d.log.info(`${created ? 'Opened' : 'Updated'} the drift issue #${issue.number}: ${issue.html_url ?? ''}`);
  } else if (drift.status === 'in-sync') {
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
