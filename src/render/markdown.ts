// Pull-request comment rendering: the verdict first, a table to scan, hazards spelled out (they are what a
// reviewer must approve), and the attribute diff folded away in a ```diff block that GitHub colours.

import { HAZARD_CODES, noChangesVerdict, summarize, type Change, type Plan } from '../plan/types.js';
import { ACTION_GLYPH } from './actions.js';
import { attributeLines, keyWidth } from './attributes.js';
import { fileDiffLines } from './file-diff.js';
import { summarizeByHost, wantsHostSummary, type HostSummary } from './host-summary.js';
import { escapeInline, escapeLineStart, fenceFor } from './markdown-escape.js';
import { oneLine } from './values.js';
import { windowBlock } from './windows.js';

export function renderMarkdown(plan: Plan): string {
  const blocks: string[] = [];
  if (plan.changes.length === 0) {
    const v = noChangesVerdict(plan);
    blocks.push(`**${v.headline}** ${escapeInline(v.detail)}`);
  } else {
    blocks.push(summaryLine(plan));
    if (wantsHostSummary(plan)) blocks.push(hostTable(summarizeByHost(plan.changes)));
    blocks.push(changeTable(plan.changes));
    const hazards = hazardList(plan);
    if (hazards) blocks.push(hazards);
    const windows = windowBlock(plan);
    if (windows) blocks.push(windows);
  }
  if (plan.warnings.length > 0) blocks.push(warningBlock(plan.warnings));
  if (plan.notes?.length) blocks.push(['> [!NOTE]', ...plan.notes.map((n) => `> - ${escapeLineStart(n)}`)].join('\n'));
  if (plan.changes.length > 0) blocks.push(details(plan.changes));
  blocks.push(footer(plan));
  return blocks.join('\n\n') + '\n';
}

export function summaryLine(plan: Plan): string {
  const s = summarize(plan);
  const counts = `**Plan:** ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy.`;
  if (s.hazards.length === 0) return counts;
  return `${counts} :warning: Hazards: ${s.hazards.map((h) => `\`${h}\``).join(', ')}`;
}

/** Where a large plan's changes are: one row per host. */
export function hostTable(rows: HostSummary[]): string {
  const lines = ['| Host | Add-ons | To add | To change | To destroy | Hazards |', '|---|--:|--:|--:|--:|---|'];
  for (const r of rows) {
    const hazards = r.hazards.map((h) => `:warning: \`${h}\``).join(' ');
    lines.push(`| ${escapeInline(r.host)} | ${r.addons} | ${r.add} | ${r.change} | ${r.destroy} | ${hazards} |`);
  }
  return lines.join('\n');
}

export function changeTable(changes: Change[]): string {
  return ['| | Address | Action | Reason | Hazards |', '|:-:|---|---|---|---|', ...changes.map(tableRow)].join('\n');
}

// A pull-request comment too long for GitHub is rendered again with fewer rows and details until it fits
// (action/fit.ts): each change's row and detail lines are built once, not once per attempt. Changes are
// plain data that no renderer modifies, so a change object always renders the same.
const rows = new WeakMap<Change, string>();
const detailBodies = new WeakMap<Change, string[]>();

function tableRow(ch: Change): string {
  let row = rows.get(ch);
  if (row === undefined) {
    const hazards = ch.hazards.map((h) => `:warning: \`${h.code}\``).join('<br>');
    const cells = [`\`${ACTION_GLYPH[ch.action]}\``, escapeInline(ch.address), ch.action, escapeInline(ch.reason), hazards];
    rows.set(ch, (row = `| ${cells.join(' | ')} |`));
  }
  return row;
}

/** Each hazard's sentence, and the exact flag apply needs, so the reviewer knows what they approve. */
export function hazardList(plan: Plan): string | undefined {
  const codes = summarize(plan).hazards;
  if (codes.length === 0) return undefined;
  return [hazardHeader(codes), '', ...hazardItems(plan)].join('\n');
}

/** The sentence above the hazard list: what `dbform apply` needs to run these changes. */
export function hazardHeader(codes: readonly string[]): string {
  return `**Hazards.** \`dbform apply\` refuses these changes unless run with \`--allow-hazards ${codes.join(',')}\`:`;
}

/** One list item per hazard, grouped by code in the plan's hazard order, then in change order: all data loss reads together. */
export function hazardItems(plan: Plan): string[] {
  const items: string[] = [];
  for (const code of HAZARD_CODES) {
    for (const ch of plan.changes) {
      for (const h of ch.hazards) {
        if (h.code === code) items.push(`- :warning: **${code}** ${escapeInline(ch.address)}: ${escapeInline(h.message)}`);
      }
    }
  }
  return items;
}

/** A GitHub alert: rendered as a yellow "Warning" box, and still a readable quote elsewhere. */
export function warningBlock(warnings: string[]): string {
  return ['> [!WARNING]', ...warnings.map((w) => `> - ${escapeLineStart(w)}`)].join('\n');
}

export function details(changes: Change[]): string {
  const body: string[] = [];
  for (const ch of changes) {
    if (body.length > 0) body.push('');
    body.push(...detailBody(ch));
  }
  // The blank line after <summary> lets GitHub parse the markdown inside the HTML block.
  return ['<details><summary>Details</summary>', '', diffBlock(body), ...changes.flatMap(fileDiffBlock), '', '</details>'].join('\n');
}

/** One change's lines in the details' diff block. */
function detailBody(ch: Change): string[] {
  let body = detailBodies.get(ch);
  if (body) return body;
  // "@@" lines are highlighted as hunk headers, which sets each change apart from its attributes.
  body = [`@@ ${ACTION_GLYPH[ch.action]} ${oneLine(ch.address)} (${ch.action}) @@`, `  ${oneLine(ch.reason)}`];
  const attrs = attributeLines(ch);
  const width = keyWidth(attrs);
  for (const a of attrs) {
    if (a.op !== '~') body.push(`${a.op} ${a.key.padEnd(width)} = ${a.value}`);
    else if (!a.items) body.push(`- ${a.key.padEnd(width)} = ${a.before}`, `+ ${a.key.padEnd(width)} = ${a.after}`);
    else body.push(`  ${a.key}:`, ...a.items.removed.map((v) => `-   ${v}`), ...a.items.added.map((v) => `+   ${v}`));
  }
  detailBodies.set(ch, body);
  return body;
}

/** A hand-edited file's diff, in a block of its own below the attributes, captioned with its change. */
function fileDiffBlock(ch: Change): string[] {
  if (!ch.fileDiff) return [];
  return ['', `${escapeLineStart(ch.address)}: edited by hand on the host, restored by apply:`, '', diffBlock(fileDiffLines(ch.fileDiff))];
}

/** A fenced diff block that no content can close early (a line of backticks in a hand-edited file). */
function diffBlock(lines: string[]): string {
  const text = lines.join('\n');
  const fence = fenceFor(text);
  return [`${fence}diff`, text, fence].join('\n');
}

function footer(plan: Plan): string {
  const file = escapeInline(plan.config.file);
  const config = escapeInline(plan.config.sha256.slice(0, 12));
  const observed = escapeInline(plan.observedFingerprint.slice(0, 12));
  return `<sub>dbform plan of ${file} (sha256 ${config}), live state fingerprint ${observed}</sub>`;
}
