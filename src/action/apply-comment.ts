// The comment apply on merge posts on the merged pull request: what happened (applied, failed, or refused
// because the plan is not the one the pull request showed), with the output folded away. Pure.

import type { Plan } from '../plan/types.js';
import { escapeInline, fenceFor } from '../render/markdown-escape.js';
import { renderMarkdown } from '../render/markdown.js';
import { marker } from './markers.js';
import { GITHUB_BODY_LIMIT } from './plan-comment.js';

export type ApplyOutcome =
  /** `deferred`: one line per change left for its maintenance window, saying when that window starts. */
  | { kind: 'applied' | 'failed'; summary: string; log: string; fingerprint: string; deferred?: string[] }
  /** Nothing was run: no reviewed plan, or the plan changed since the review. */
  | { kind: 'refused'; reason: string; currentPlan?: Plan };

export interface ApplyCommentInput {
  configPath: string;
  sha: string;
  runUrl?: string;
  outcome: ApplyOutcome;
}

const TITLE = { applied: 'applied', failed: 'failed', refused: 'refused' } as const;

export function renderApplyComment(input: ApplyCommentInput, limit = GITHUB_BODY_LIMIT): string {
  const { outcome } = input;
  const head = `${marker('apply', input.configPath)}\n### dbform apply of ${escapeInline(input.configPath)}: ${TITLE[outcome.kind]}`;
  const run = input.runUrl ? ` · [workflow run](${input.runUrl})` : '';
  const foot = `<sub>commit ${escapeInline(input.sha.slice(0, 7))}${run}</sub>`;

  if (outcome.kind === 'refused') {
    const why = `:no_entry: **Nothing was applied.** ${escapeInline(outcome.reason)}`;
    const blocks = [head, why];
    if (outcome.currentPlan) {
      blocks.push(
        "To apply the current plan: review it below, re-run this pull request's plan job (it updates the plan comment and its fingerprint), then re-run this job. Or open a new pull request.",
      );
      const plan = folded('Current plan', renderMarkdown(outcome.currentPlan));
      // A plan too long to show here is in the job log; the refusal itself must always get through.
      if ([...blocks, plan, foot].join('\n\n').length < limit) blocks.push(plan);
      else blocks.push("_The current plan is too long for this comment: it is in this job's log._");
    }
    return [...blocks, foot].join('\n\n') + '\n';
  }

  const icon = outcome.kind === 'applied' ? ':white_check_mark:' : ':x:';
  const blocks = [
    head,
    `${icon} ${escapeInline(outcome.summary)}`,
    `The plan applied is the one this pull request showed (fingerprint \`${outcome.fingerprint}\`).`,
  ];
  if (outcome.deferred?.length) {
    const items = outcome.deferred.map((d) => `- :alarm_clock: ${escapeInline(d)}`);
    blocks.push([`**Deferred to a maintenance window** (the scheduled apply workflow runs ${outcome.deferred.length === 1 ? 'it' : 'them'} then):`, '', ...items].join('\n'));
  }
  const fixed = [...blocks, folded('Output', ''), foot].join('\n\n').length + 200;
  blocks.push(folded('Output', codeBlock(tail(outcome.log, limit - fixed))));
  return [...blocks, foot].join('\n\n') + '\n';
}

function folded(summary: string, content: string): string {
  // The blank line after <summary> lets GitHub parse the markdown inside the HTML block.
  return `<details><summary>${summary}</summary>\n\n${content}\n\n</details>`;
}

function codeBlock(text: string): string {
  const fence = fenceFor(text);
  return `${fence}text\n${text}\n${fence}`;
}

/** The end of a long log: the summary and the errors are at the end. */
function tail(log: string, max: number): string {
  const text = log.trimEnd();
  if (text.length <= max) return text;
  const kept = text.slice(text.length - max);
  return `[… ${text.length - max} characters cut, the whole output is in the job log]\n${kept.slice(kept.indexOf('\n') + 1)}`;
}
