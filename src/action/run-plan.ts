// `command: plan`: plans the pull request's config, plans the base commit's config against the same live
// state to tell the pull request's changes from drift, and posts or updates the one plan comment.

import { readFileSync } from 'node:fs';
import { planExitCode, planFleet } from '../cli/commands/plan.js';
import { out } from '../cli/terminal.js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/types.js';
import { planFingerprint } from '../plan/fingerprint.js';
import { render } from '../render/index.js';
import { escapeInline, fenceFor } from '../render/markdown-escape.js';
import { planBase } from './base-config.js';
import { upsertComment, type CommentTarget } from './comments.js';
import { loadActionConfig } from './config.js';
import { requireRepo } from './context.js';
import { marker } from './markers.js';
import { renderPlanComment } from './plan-comment.js';
import { hostFailure, savePlan, type RunDeps, type RunResult } from './run.js';

export async function runPlan(d: RunDeps): Promise<RunResult> {
  const { ctx, inputs } = d;
  const pr = ctx.event.pull_request;
  const target = (): CommentTarget => ({ repo: requireRepo(ctx), number: pr!.number, configPath: inputs.config, author: inputs.commentAuthor });

  let text: string;
  let config: Config;
  try {
    text = readFileSync(inputs.config, 'utf8');
    config = loadActionConfig(inputs.config, text);
  } catch (e) {
    // A config error belongs on the pull request, where the author will read it.
    if (pr && e instanceof ConfigError) await upsertComment(d.api, target(), 'plan', configErrorComment(inputs.config, e));
    throw e;
  }
  const head = await planFleet(config, (m) => d.log.warning(m));
  const { plan } = head;
  out(render(plan, 'text'));
  const result: RunResult = {
    exitcode: planExitCode(head, true),
    hasChanges: plan.changes.length > 0,
    fingerprint: planFingerprint(plan),
    planFile: savePlan(ctx, inputs.config, plan),
    failure: hostFailure(head.hostErrors),
  };
  if (!pr) {
    d.log.info(`Not a pull_request event (${ctx.eventName || 'unknown'}): the plan is in the log above, no comment is posted.`);
    return result;
  }

  const base = await planBase(process.cwd(), pr.base.sha, inputs.config, { text, plan }, (m) => d.log.warning(m));
  if (base.kind === 'unavailable') d.log.warning(`Drift is not told apart from the pull request's changes: ${base.reason}`);
  const body = renderPlanComment({ configPath: inputs.config, head: plan, base, headSha: pr.head.sha });
  const { comment, created } = await upsertComment(d.api, target(), 'plan', body);
  d.log.info(`${created ? 'Posted' : 'Updated'} the plan comment (${body.length} characters): ${comment.html_url ?? `#${comment.id}`}`);
  return result;
}

function configErrorComment(configPath: string, e: ConfigError): string {
  const fence = fenceFor(e.message);
  // No fingerprint line: apply on merge refuses a pull request whose comment shows no plan.
  return [
    `${marker('plan', configPath)}\n### dbform plan for ${escapeInline(configPath)}: the file has errors`,
    ':x: Nothing was planned. Fix these and push again:',
    `${fence}text\n${e.message}\n${fence}`,
  ].join('\n\n') + '\n';
}
