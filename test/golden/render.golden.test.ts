// Golden tests for the plan renderers: each fixture in plans.ts is rendered as text (no colour), markdown
// and json, and compared byte for byte with test/golden/expected/<name>.txt|.md|.json.
//
// To accept new output after an intended change, regenerate the files and review the diff:
//   UPDATE_GOLDEN=1 npx vitest run test/golden
//   git diff test/golden/expected

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { summarize, type Plan } from '../../src/plan/types.js';
import { render, renderJson, renderMarkdown, renderText, type RenderFormat } from '../../src/render/index.js';
import { PLANS, STEP_MARKER, update, weirdNames } from './plans.js';

const EXPECTED = join(dirname(fileURLToPath(import.meta.url)), 'expected');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const EXTENSION: Record<RenderFormat, string> = { text: 'txt', markdown: 'md', json: 'json' };
// Matches ESC and the one-byte CSI, the two ways a terminal control sequence starts.
// eslint-disable-next-line no-control-regex
const ANSI = /[\u001b\u009b]/;

function renderAll(plan: Plan): Record<RenderFormat, string> {
  return { text: renderText(plan, { color: false }), markdown: renderMarkdown(plan), json: renderJson(plan) };
}

/** Same data, every object's keys in reverse order: must not change a byte of output. */
function reversedKeys<T>(v: T): T {
  if (Array.isArray(v)) return v.map(reversedKeys) as T;
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v as object).reverse();
  return Object.fromEntries(entries.map(([k, x]) => [k, reversedKeys(x)])) as T;
}

describe.each(Object.entries(PLANS))('plan %s', (name, plan) => {
  const outputs = renderAll(plan);

  it.each(Object.keys(EXTENSION) as RenderFormat[])('%s matches the golden file', (format) => {
    const file = join(EXPECTED, `${name}.${EXTENSION[format]}`);
    if (UPDATE) {
      mkdirSync(EXPECTED, { recursive: true });
      writeFileSync(file, outputs[format]);
    }
    expect(existsSync(file), `${file} is missing; run with UPDATE_GOLDEN=1 to create it`).toBe(true);
    expect(outputs[format]).toBe(readFileSync(file, 'utf8'));
  });

  it('renders the same bytes for equal plans, whatever their key order', () => {
    expect(renderAll(structuredClone(plan))).toEqual(outputs);
    expect(renderAll(reversedKeys(plan))).toEqual(outputs);
  });

  it('never prints steps', () => {
    for (const out of [...Object.values(outputs), renderText(plan, { color: true })]) {
      expect(out).not.toContain(STEP_MARKER);
      expect(out).not.toContain('"steps"');
    }
  });

  it('has no terminal escapes without colour', () => {
    for (const out of Object.values(outputs)) expect(out).not.toMatch(ANSI);
  });

  it('json carries the summary the plan computes', () => {
    const doc = JSON.parse(outputs.json);
    expect(doc.format_version).toBe('1.0');
    expect(doc.summary).toEqual(summarize(plan));
    expect(doc.changes.map((c: { address: string }) => c.address)).toEqual(plan.changes.map((c) => c.address));
  });
});

describe('text colour', () => {
  it('uses ANSI colours only when asked', () => {
    expect(renderText(update, { color: true })).toMatch(ANSI);
    expect(renderText(update, { color: false })).not.toMatch(ANSI);
  });

  it('neutralises escapes hidden in user names even with colour on', () => {
    // With colour on, every ESC must come from chalk (ESC[..m around our own text), never from a name.
    const coloured = renderText(weirdNames, { color: true });
    expect(coloured).not.toContain('\u001b[31mALERT');
    expect(coloured).toContain('red\\u001b[31mALERT\\nline');
  });
});

describe('render()', () => {
  it('dispatches to each format', () => {
    expect(render(update, 'text')).toBe(renderText(update, { color: false }));
    expect(render(update, 'text', { color: true })).toBe(renderText(update, { color: true }));
    expect(render(update, 'markdown')).toBe(renderMarkdown(update));
    expect(render(update, 'json')).toBe(renderJson(update));
  });
});

describe('markdown escaping', () => {
  const md = renderMarkdown(weirdNames);
  const tableRows = md.split('\n').filter((l) => l.startsWith('| '));

  it('keeps every table row at five cells', () => {
    // A raw pipe from a user name would add a cell; count the unescaped separators.
    for (const row of tableRows) expect(row.split(' | ').length).toBe(5);
  });

  it('lets no user-provided HTML through', () => {
    // Inside the diff code block `<b>` is shown literally; everywhere else it must be an entity.
    const outsideCode = md.replace(/^(`{3,})diff\n[\s\S]*?^\1$/m, '');
    expect(outsideCode).not.toContain('<b>');
    expect(outsideCode).toContain('&lt;b>z&lt;/b>');
  });

  it('cannot be closed early by backticks in names', () => {
    const fence = /^(`{3,})diff$/m.exec(md)?.[1] ?? '';
    const inner = md.slice(md.indexOf(`${fence}diff`) + fence.length + 4, md.lastIndexOf(fence));
    expect(inner).not.toMatch(new RegExp(`^${fence}`, 'm'));
  });
});
