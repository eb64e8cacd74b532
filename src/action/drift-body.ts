// The body of the drift issue: where the live state differs from the file, as the plan that would repair
// it, and the add-ons whose backups are late, under GitHub's size limit (the folded details are cut
// first, then table rows). Pure.

import type { Plan } from '../plan/types.js';
import { escapeInline } from '../render/markdown-escape.js';
import { summarizeByHost, wantsHostSummary } from '../render/host-summary.js';
import { changeTable, details, hazardList, hostTable, summaryLine, warningBlock } from '../render/markdown.js';
import { fitToLimit } from './fit.js';
import { marker } from './markers.js';
import { GITHUB_BODY_LIMIT } from './plan-comment.js';

export interface DriftBodyInput {
  configPath: string;
  /** The plan that would repair the drift (its warnings name the late backups too). */
  plan: Plan;
  /** Add-ons whose backups are late: drift that applying the file does not repair. */
  lateBackups?: string[];
  sha: string;
  runUrl?: string;
}

const DETAILS = 0;
const ROWS = 1;

export function renderDriftIssue(input: DriftBodyInput, limit = GITHUB_BODY_LIMIT): string {
  const n = input.plan.changes.length;
  // Shown whole whatever is cut: where the drift is, one row per host (large plans only).
  const hosts = wantsHostSummary(input.plan) ? hostTable(summarizeByHost(input.plan.changes)) : undefined;
  return fitToLimit((shown) => build(input, hosts, shown), [n, n], [DETAILS, ROWS], limit).text;
}

function build(input: DriftBodyInput, hosts: string | undefined, shown: number[]): string {
  const { plan } = input;
  const file = escapeInline(input.configPath);
  const run = input.runUrl ? ` ([workflow run](${input.runUrl}))` : '';
  const blocks = [
    `${marker('drift', input.configPath)}\n### The live state differs from ${file}`,
    `Found by the scheduled drift check on commit ${escapeInline(input.sha.slice(0, 7))}${run}. ` +
      'Applying the file repairs it (the plan below is what apply would do); or change the file to match what is on the hosts. ' +
      'This issue is updated by each check and closed once the hosts match the file again.',
  ];
  if (plan.changes.length) blocks.push(summaryLine(plan));
  if (hosts) blocks.push(hosts);
  const late = input.lateBackups?.length ?? 0;
  if (late) {
    blocks.push(
      `**Backups are late** for ${late} add-on${late === 1 ? '' : 's'} (named in the warnings below): applying the file does not repair that; ` +
        '`dbform backups list ADDON` shows what the store holds.',
    );
  }
  const hidden = [plan.changes.length - shown[DETAILS]!, plan.changes.length - shown[ROWS]!];
  if (hidden[DETAILS]! > 0) {
    blocks.push(
      `> [!NOTE]\n> Shortened to stay under GitHub's limit of ${GITHUB_BODY_LIMIT.toLocaleString('en-US')} characters: the details of ${hidden[DETAILS]} changes` +
        `${hidden[ROWS]! > 0 ? ` and ${hidden[ROWS]} table rows` : ''} are left out. \`dbform drift\` prints the whole report.`,
    );
  }
  if (shown[ROWS]! > 0) blocks.push(changeTable(plan.changes.slice(0, shown[ROWS])));
  const hazards = hazardList(plan);
  if (hazards) blocks.push(hazards);
  if (plan.warnings.length) blocks.push(warningBlock(plan.warnings));
  if (shown[DETAILS]! > 0) blocks.push(details(plan.changes.slice(0, shown[DETAILS])));
  return blocks.join('\n\n') + '\n';
}
