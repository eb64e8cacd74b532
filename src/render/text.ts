// Terminal rendering of a plan, Terraform-like. Colour is decided by the caller (the CLI handles NO_COLOR
// and TTY detection), so this module builds its own Chalk instance and never reads the environment.

import { Chalk, type ChalkInstance } from 'chalk';
import { noChangesVerdict, summarize, type Action, type Change, type Plan } from '../plan/types.js';
import { ACTION_GLYPH, ACTION_LEGEND } from './actions.js';
import { attributeLines, keyWidth, type AttrLine } from './attributes.js';
import { fileDiffLines } from './file-diff.js';
import { summarizeByHost, wantsHostSummary } from './host-summary.js';
import { oneLine } from './values.js';
import { windowLine } from './windows.js';

export interface TextOptions {
  color: boolean;
}

const INDENT = '      ';

export function renderText(plan: Plan, opts: TextOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const file = oneLine(plan.config.file);
  const lines: string[] = [];

  if (plan.changes.length > 0) {
    lines.push(`dbform plan for ${file}`, '', ...legend(plan, c), '', 'dbform will perform the following actions:', '');
    for (const change of plan.changes) lines.push(...renderChange(change, c), '');
  }
  for (const n of plan.notes ?? []) lines.push(`${c.cyan('Note:')} ${oneLine(n)}`);
  if (plan.notes?.length) lines.push('');
  // Warnings come last, just above the verdict, so an unreachable add-on is never scrolled out of sight.
  for (const w of plan.warnings) lines.push(`${c.yellow.bold('Warning:')} ${oneLine(w)}`, '');
  // A large plan scrolls thousands of lines: the totals per host sit just above the verdict.
  if (wantsHostSummary(plan)) lines.push(...hostLines(plan), '');
  lines.push(plan.changes.length > 0 ? summaryLine(plan, c) : noChangesText(plan));
  return lines.join('\n') + '\n';
}

/** Only the symbols this plan uses, as Terraform does. */
function legend(plan: Plan, c: ChalkInstance): string[] {
  const used = new Set(plan.changes.map((ch) => ch.action));
  const out = ['Actions are shown with these symbols:'];
  for (const [action, words] of ACTION_LEGEND) {
    if (used.has(action)) out.push(`${paint(c, action, ACTION_GLYPH[action].padStart(3))} ${words}`);
  }
  return out;
}

function renderChange(change: Change, c: ChalkInstance): string[] {
  const glyph = paint(c, change.action, ACTION_GLYPH[change.action].padStart(3));
  const out = [`${glyph} ${c.bold(oneLine(change.address))}  ${paint(c, change.action, `(${change.action})`)}`];
  out.push(INDENT + oneLine(change.reason));
  const attrs = attributeLines(change);
  const width = keyWidth(attrs);
  for (const line of attrs) out.push(...attrLine(line, width, c).map((l) => INDENT + l));
  if (change.fileDiff) out.push(...fileDiffLines(change.fileDiff).map((l) => INDENT + paintDiffLine(c, l)));
  for (const h of change.hazards) out.push(`${INDENT}${c.red.bold(`! ${h.code}`)}: ${oneLine(h.message)}`);
  const window = windowLine(change);
  if (window) out.push(INDENT + c.cyan(window));
  return out;
}

function attrLine(line: AttrLine, width: number, c: ChalkInstance): string[] {
  if (line.op !== '~') return [`${line.op === '+' ? c.green('+') : c.red('-')} ${line.key.padEnd(width)} = ${line.value}`];
  if (!line.items) return [`${c.yellow('~')} ${`${line.key}:`.padEnd(width + 1)} ${line.before} -> ${line.after}`];
  return [
    `${c.yellow('~')} ${line.key}:`,
    ...line.items.removed.map((v) => `    ${c.red('-')} ${v}`),
    ...line.items.added.map((v) => `    ${c.green('+')} ${v}`),
  ];
}

function hostLines(plan: Plan): string[] {
  const rows = summarizeByHost(plan.changes);
  const width = Math.max(...rows.map((r) => oneLine(r.host).length));
  return [
    'Changes per host:',
    ...rows.map((r) => {
      const hazards = r.hazards.length > 0 ? ` Hazards: ${r.hazards.join(', ')}.` : '';
      const addons = `${r.addons} add-on${r.addons === 1 ? '' : 's'}`;
      return `  ${oneLine(r.host).padEnd(width)}  ${addons.padStart(11)}: ${r.add} to add, ${r.change} to change, ${r.destroy} to destroy.${hazards}`;
    }),
  ];
}

/** The one-line verdict of a plan without changes (which hosts it could not read, if any). */
export function noChangesText(plan: Plan): string {
  const v = noChangesVerdict(plan);
  return oneLine(`${v.headline} ${v.detail}`);
}

function paintDiffLine(c: ChalkInstance, line: string): string {
  if (line.startsWith('---') || line.startsWith('+++')) return c.bold(line);
  if (line.startsWith('@@')) return c.cyan(line);
  if (line.startsWith('-')) return c.red(line);
  if (line.startsWith('+')) return c.green(line);
  return line;
}

function summaryLine(plan: Plan, c: ChalkInstance): string {
  const s = summarize(plan);
  const counts = `${s.add} to add, ${s.change} to change, ${s.destroy} to destroy.`;
  const hazards = s.hazards.length > 0 ? ` ${c.red.bold(`Hazards: ${s.hazards.join(', ')}.`)}` : '';
  return `${c.bold('Plan:')} ${counts}${hazards}`;
}

function paint(c: ChalkInstance, action: Action, s: string): string {
  switch (action) {
    case 'create':
      return c.green(s);
    case 'update':
      return c.yellow(s);
    case 'delete':
      return c.red(s);
    case 'replace':
      return c.magenta(s);
  }
}
