// The pull-request comment for one config file: the verdict, this pull request's changes apart from the
// drift already on the hosts, hazards, the attribute diff folded away, and the fingerprint that apply on
// merge checks. Pure: the same plans give the same bytes (the golden tests pin them).

import { planFingerprint } from '../plan/fingerprint.js';
import { noChangesVerdict, summarize, type Change, type Plan } from '../plan/types.js';
import { escapeInline } from '../render/markdown-escape.js';
import { summarizeByHost, wantsHostSummary } from '../render/host-summary.js';
import { changeTable, details, hazardHeader, hazardItems, hostTable, summaryLine, warningBlock } from '../render/markdown.js';
import { fitToLimit } from './fit.js';
import { fingerprintMarker, marker } from './markers.js';
import { splitChanges, type BaseState, type SplitChanges } from './split.js';

/** GitHub refuses a comment or issue body longer than this many characters. */
export const GITHUB_BODY_LIMIT = 65_535;

export interface PlanCommentInput {
  /** The config path as the workflow names it; also the comment's marker. */
  configPath: string;
  /** The plan of the pull request's version of the file: the plan that merging applies. */
  head: Plan;
  base: BaseState;
  /** The pull request's head commit, named in the footer. */
  headSha?: string;
}

// Sections that can be shown in part, and the order they are cut in: the folded details go first; the
// summary, the hazard header and the change tables are what a reviewer needs most, so they go last. Each
// hazard line is a change the reviewer approves by name: at 1,000 add-ons the table rows of plain
// creations are cut before them (a section cut first is cut to what fits with the later ones whole).
const DETAILS = 0;
const RESOLVED = 1;
const HAZARDS = 2;
const DRIFT_ROWS = 3;
const PR_ROWS = 4;
const WARNINGS = 5;
const CUT_ORDER = [DETAILS, RESOLVED, DRIFT_ROWS, PR_ROWS, HAZARDS, WARNINGS];
const SECTION_NOUNS = ['changes', 'accepted differences', 'hazard lines', 'drift table rows', 'change table rows', 'warnings'];

export function renderPlanComment(input: PlanCommentInput, limit = GITHUB_BODY_LIMIT): string {
  const split = splitChanges(input.head, input.base);
  const hazards = hazardItems(input.head);
  const totals = [
    split.pr.length + split.drift.length,
    split.resolved.length,
    hazards.length,
    split.drift.length,
    split.pr.length,
    input.head.warnings.length,
  ];
  const parts: Parts = {
    // The fingerprint hashes the whole plan: once per comment, not once per attempt to fit it.
    fingerprint: planFingerprint(input.head),
    split,
    hazards,
    totals,
    // Always shown in full (a row per host): where the changes are, when the tables below are cut.
    hosts: wantsHostSummary(input.head) ? hostTable(summarizeByHost(input.head.changes)) : undefined,
  };
  return fitToLimit((shown) => build(input, parts, shown), totals, CUT_ORDER, limit).text;
}

/** What every attempt to fit the comment shares. */
interface Parts {
  fingerprint: string;
  split: SplitChanges;
  hazards: string[];
  totals: number[];
  hosts: string | undefined;
}

function build(input: PlanCommentInput, parts: Parts, shown: number[]): string {
  const { head, base } = input;
  const { fingerprint, split, hazards, totals } = parts;
  const file = escapeInline(input.configPath);
  const blocks = [`${marker('plan', input.configPath)}\n${fingerprintMarker(fingerprint)}\n### dbform plan for ${file}`];

  if (head.changes.length === 0 && head.hostsNotRead.length > 0) {
    const v = noChangesVerdict(head);
    blocks.push(`**${v.headline}** ${escapeInline(v.detail)}`);
  } else if (head.changes.length === 0) blocks.push(`**No changes.** The live state matches ${file}${base.kind === 'plan' ? ' with this pull request' : ''}.`);
  else blocks.push(base.kind === 'plan' ? `${summaryLine(head)}\n${breakdown(head, split)}` : summaryLine(head));
  if (parts.hosts) blocks.push(parts.hosts);

  const note = shortenedNote(totals, shown);
  if (note) blocks.push(note);
  if (base.kind === 'new-file') blocks.push(`${file} is new in this pull request: every change below is the pull request's.`);
  if (base.kind === 'unavailable') {
    blocks.push(`> [!NOTE]\n> Drift could not be told apart from this pull request's changes: ${escapeInline(base.reason)}`);
  }

  if (base.kind === 'plan') {
    if (head.changes.length > 0) {
      blocks.push('#### Changes made by this pull request', split.pr.length ? table(split.pr, shown[PR_ROWS]!) : '_None: this pull request changes nothing on the hosts._');
    }
    if (split.drift.length) {
      blocks.push(
        '#### Drift already on the hosts',
        'These differences are there without this pull request (changed by hand, or an earlier change not applied yet). Merging applies the whole file, so they are repaired too.',
        table(split.drift, shown[DRIFT_ROWS]!),
      );
    }
    if (split.resolved.length) {
      blocks.push(
        '#### Drift this pull request accepts',
        "The hosts differ from the base branch's file here, and this pull request's file matches them: nothing changes for these.",
        list(split.resolved.map((c) => `- ${escapeInline(c.address)}: ${escapeInline(c.reason)}`), shown[RESOLVED]!),
      );
    }
  } else if (head.changes.length > 0) {
    blocks.push('#### Changes', table(head.changes, shown[PR_ROWS]!));
  }

  if (hazards.length) {
    const codes = summarize(head).hazards;
    blocks.push(`${hazardHeader(codes)}\n\n${list(hazards, shown[HAZARDS]!)}\n\nApply on merge runs them only if its workflow sets the action's input \`allow-hazards: ${codes.join(',')}\`.`);
  }
  if (head.warnings.length) blocks.push(warningBlock(head.warnings.slice(0, shown[WARNINGS])) + more(head.warnings.length - shown[WARNINGS]!, '\n>\n> '));
  const detailed = [...split.pr, ...split.drift].slice(0, shown[DETAILS]);
  if (detailed.length) blocks.push(details(detailed));
  blocks.push(footer(input, fingerprint));
  return blocks.join('\n\n') + '\n';
}

function counts(changes: Change[], plan: Plan): string {
  const s = summarize({ ...plan, changes });
  return `${s.add} to add, ${s.change} to change, ${s.destroy} to destroy`;
}

function breakdown(head: Plan, split: SplitChanges): string {
  return `This pull request: ${counts(split.pr, head)}. Drift already on the hosts: ${counts(split.drift, head)}.`;
}

function table(changes: Change[], shown: number): string {
  if (shown === 0) return `_All ${changes.length} rows are left out to fit GitHub's size limit._`;
  return changeTable(changes.slice(0, shown)) + more(changes.length - shown, '\n\n');
}

function list(items: string[], shown: number): string {
  return items.slice(0, shown).join('\n') + more(items.length - shown, shown > 0 ? '\n\n' : '');
}

function more(hidden: number, separator: string): string {
  return hidden > 0 ? `${separator}_… and ${hidden} more, left out to fit GitHub's size limit._` : '';
}

/** Says what was left out, so a shortened comment never passes for the whole plan. */
function shortenedNote(totals: number[], shown: number[]): string | undefined {
  const parts: string[] = [];
  for (const i of CUT_ORDER) {
    const hidden = totals[i]! - shown[i]!;
    if (hidden > 0) parts.push(`${i === DETAILS ? 'the details of ' : ''}${hidden} of ${totals[i]} ${SECTION_NOUNS[i]}`);
  }
  if (!parts.length) return undefined;
  return [
    '> [!NOTE]',
    `> Shortened to stay under GitHub's limit of ${GITHUB_BODY_LIMIT.toLocaleString('en-US')} characters: ${parts.join('; ')} are left out.`,
    "> The whole plan is in this job's log and in the action's `plan-file` output; `dbform plan` prints it too.",
  ].join('\n');
}

function footer(input: PlanCommentInput, fingerprint: string): string {
  const { head } = input;
  const at = input.headSha ? ` at ${escapeInline(input.headSha.slice(0, 7))}` : '';
  return [
    '---',
    `**Fingerprint \`${fingerprint}\`.** On merge, dbform applies this plan only if it is still exactly this one (same file, same live state); otherwise it applies nothing and says so here.`,
    `<sub>dbform plan of ${escapeInline(input.configPath)}${at} (sha256 ${escapeInline(head.config.sha256.slice(0, 12))}), live state fingerprint ${escapeInline(head.observedFingerprint.slice(0, 12))}</sub>`,
  ].join('\n');
}
