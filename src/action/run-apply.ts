// `command: apply`, on a push to the default branch (or a merged pull_request event): finds the merged pull
// request, reads the fingerprint of the plan its comment showed, and applies only that plan. The plan is
// computed once, under the host locks, and applied only if its fingerprint is the reviewed one; any other
// plan (the file or the live state moved since the review) is refused, on the pull request, with the
// current plan shown. The result is posted there too, rendered from what apply returns.

import { parseAllowedHazards } from '../apply/gate.js';
import type { ApplyResult } from '../apply/result.js';
import { applyExitCode } from '../apply/result.js';
import { applyFleet } from '../cli/commands/apply.js';
import { out } from '../cli/terminal.js';
import { planFingerprint } from '../plan/fingerprint.js';
import { printingHooks } from '../render/apply-text.js';
import { render } from '../render/index.js';
import { renderApplyComment, type ApplyOutcome } from './apply-comment.js';
import { applyReport } from './apply-report.js';
import { findComment, postComment, type CommentTarget } from './comments.js';
import { loadActionConfig } from './config.js';
import { requireRepo } from './context.js';
import { readFingerprint } from './markers.js';
import { mergedPullRequestOf } from './pulls.js';
import { savePlan, type RunDeps, type RunResult } from './run.js';
import { WINDOW_EVENTS, runWindowApply } from './run-window-apply.js';

export async function runApply(d: RunDeps): Promise<RunResult> {
  const { ctx, inputs } = d;
  if (WINDOW_EVENTS.has(ctx.eventName)) return runWindowApply(d);
  const repo = requireRepo(ctx);
  const pr = ctx.event.pull_request;
  const number = pr?.merged ? pr.number : await mergedPullRequestOf(d.api, repo, ctx.sha);
  if (!number) {
    const reason = `commit ${ctx.sha.slice(0, 7)} does not come from a merged pull request: apply on merge only applies a plan that a pull request showed. Nothing was applied.`;
    return { exitcode: 1, hasChanges: false, failure: reason };
  }
  const target: CommentTarget = { repo, number, configPath: inputs.config, author: inputs.commentAuthor };
  const post = async (outcome: ApplyOutcome) => {
    const comment = await postComment(d.api, target, renderApplyComment({ configPath: inputs.config, sha: ctx.sha, runUrl: ctx.runUrl, outcome }));
    d.log.info(`Posted the result on pull request #${number}: ${comment.html_url ?? `#${comment.id}`}`);
  };

  const comment = await findComment(d.api, target, 'plan');
  const reviewed = comment?.body ? readFingerprint(comment.body) : undefined;
  if (!reviewed) {
    const reason = `Pull request #${number} has no dbform plan for ${inputs.config} to apply (no plan comment, or it shows errors). Nothing was applied.`;
    await post({ kind: 'refused', reason });
    return { exitcode: 1, hasChanges: false, failure: reason };
  }

  let result: ApplyResult;
  try {
    result = await applyFleet({
      config: loadActionConfig(inputs.config),
      allowed: parseAllowedHazards(inputs.allowHazards),
      lockTimeoutSeconds: inputs.lockTimeoutSeconds,
      expectFingerprint: reviewed,
      warn: (m) => d.log.warning(m),
      // The job log shows the plan and each change as it runs, as the CLI prints them.
      events: { ...printingHooks(out, false), planned: (plan) => out(render(plan, 'text')) },
    });
  } catch (e) {
    const message = (e as Error).message;
    await post({ kind: 'failed', summary: message.split('\n')[0]!, log: `Error: ${message}\n`, fingerprint: reviewed });
    return { exitcode: 1, hasChanges: false, failure: message };
  }
  // A refused plan was not shown as it was checked: the log gets it here, the comment shows it too.
  if (result.status === 'refused' && result.plan) out(render(result.plan, 'text'));
  const report = applyReport(result, reviewed);
  await post(report.outcome);
  const { plan } = result;
  return {
    exitcode: applyExitCode(result),
    hasChanges: (plan?.changes.length ?? 0) > 0,
    fingerprint: plan ? planFingerprint(plan) : undefined,
    planFile: plan ? savePlan(ctx, inputs.config, plan) : undefined,
    failure: report.failure,
  };
}
