// `command: apply`, on a push to the default branch (or a merged pull_request event): finds the merged pull
// request, reads the fingerprint of the plan its comment showed, and applies only that plan. Any other
// plan (the file or the live state moved since the review) is refused, on the pull request, with the
// current plan shown. The result is posted there too.

import { applyCommand } from '../cli/commands/apply.js';
import { out } from '../cli/output.js';
import { planFingerprint } from '../plan/fingerprint.js';
import { render } from '../render/index.js';
import { renderApplyComment, type ApplyOutcome } from './apply-comment.js';
import { captureOutput, capturedOutputOf } from './capture.js';
import { findComment, postComment, type CommentTarget } from './comments.js';
import { requireRepo } from './context.js';
import { readFingerprint } from './markers.js';
import { planConfig } from './plan-config.js';
import { mergedPullRequestOf } from './pulls.js';
import { savePlan, type RunDeps, type RunResult } from './run.js';

export async function runApply(d: RunDeps): Promise<RunResult> {
  const { ctx, inputs } = d;
  const repo = requireRepo(ctx);
  const pr = ctx.event.pull_request;
  const number = pr?.merged ? pr.number : await mergedPullRequestOf(d.api, repo, ctx.sha);
  if (!number) {
    return refusedWithoutComment(
      `commit ${ctx.sha.slice(0, 7)} does not come from a merged pull request: apply on merge only applies a plan that a pull request showed. Nothing was applied.`,
    );
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

  // A first, lock-free check, so that a refusal can show the plan as it is now; the CLI's apply checks
  // again under the host locks, which is the check that counts.
  const fresh = await planConfig(inputs.config);
  out(render(fresh.plan, 'text'));
  const now = planFingerprint(fresh.plan);
  const base = { hasChanges: fresh.plan.changes.length > 0, fingerprint: now, planFile: savePlan(ctx, inputs.config, fresh.plan) };
  if (now !== reviewed) {
    const reason =
      `The plan is not the one this pull request showed: fingerprint ${reviewed} was reviewed, the plan is now ${now}. ` +
      'The file or the live state changed after the plan comment was posted.';
    await post({ kind: 'refused', reason, currentPlan: fresh.plan });
    return { ...base, exitcode: 1, failure: `Apply refused. ${reason}` };
  }

  try {
    const { result: code, output } = await captureOutput(() =>
      applyCommand({ file: inputs.config, autoApprove: true, allowHazards: inputs.allowHazards, lockTimeoutSeconds: inputs.lockTimeoutSeconds, expectFingerprint: reviewed }),
    );
    const summary = lastLine(output, /^(Apply complete|Apply failed|No changes)/) ?? (code === 0 ? 'Applied.' : 'Apply failed.');
    await post({ kind: code === 0 ? 'applied' : 'failed', summary, log: output, fingerprint: reviewed });
    return { ...base, exitcode: code === 0 ? 0 : 1, failure: code === 0 ? undefined : summary };
  } catch (e) {
    const message = hazardHint((e as Error).message);
    if (message.startsWith('apply refused: the plan is not the one that was reviewed')) {
      await post({ kind: 'refused', reason: message });
    } else {
      await post({ kind: 'failed', summary: message.split('\n')[0]!, log: `${capturedOutputOf(e)}\nError: ${message}`, fingerprint: reviewed });
    }
    return { ...base, exitcode: 1, failure: message };
  }
}

function refusedWithoutComment(reason: string): RunResult {
  return { exitcode: 1, hasChanges: false, failure: reason };
}

function lastLine(output: string, pattern: RegExp): string | undefined {
  return output
    .split('\n')
    .filter((l) => pattern.test(l))
    .pop();
}

/** The CLI names its flag; in a workflow the same thing is the action's input. */
function hazardHint(message: string): string {
  return message.replace(/run again with --allow-hazards (\S+)/, "set the action's input `allow-hazards: $1` in the apply workflow");
}
