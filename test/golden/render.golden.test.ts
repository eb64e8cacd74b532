// Golden tests of the plan renderers on real inputs: each case folder's databases.yaml and observed.json
// go through the real code path (harness.ts) and the plan is rendered as text (no colour), markdown and
// json, compared byte for byte with <case>/plan.txt|.md|.json (and <case>/comment-*.md, see
// comment.golden.test.ts). To accept new output after an intended change, regenerate and review the diff:
//   UPDATE_GOLDEN=1 npx vitest run test/golden
//   git diff test/golden

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { summarize, type Plan } from '../../src/plan/types.js';
import { render, renderJson, renderMarkdown, renderText } from '../../src/render/index.js';
import { GOLDEN_DIR, listCases, planCase, readObserved, renderCase, renderPlan } from './harness.js';
import { stepTexts } from './steps.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
// Matches ESC and the one-byte CSI, the two ways a terminal control sequence starts.
// eslint-disable-next-line no-control-regex
const ANSI = /[\u001b\u009b]/;

/** Same data, every object's keys in reverse order: must not change a byte of output. */
function reversedKeys<T>(v: T): T {
  if (Array.isArray(v)) return v.map(reversedKeys) as T;
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v as object).reverse();
  return Object.fromEntries(entries.map(([k, x]) => [k, reversedKeys(x)])) as T;
}

it('finds the cases', () => {
  expect(listCases()).toEqual(['big-fleet', 'empty', 'first-apply', 'no-change', 'pr-with-drift', 'stopped', 'update', 'weird-names']);
});

describe.each(listCases())('case %s', (name) => {
  let plan: Plan;
  let outputs: Record<string, string>;
  beforeAll(async () => {
    ({ plan, outputs } = await renderCase(name));
  });

  it('matches its golden files', () => {
    for (const [file, content] of Object.entries(outputs)) {
      const path = join(GOLDEN_DIR, name, file);
      if (UPDATE) writeFileSync(path, content);
      expect(existsSync(path), `${path} is missing; run with UPDATE_GOLDEN=1 to create it`).toBe(true);
      expect(content, path).toBe(readFileSync(path, 'utf8'));
    }
  });

  it('renders the same bytes for equal plans, whatever their key order', () => {
    const plans = renderPlan(plan);
    expect(renderPlan(structuredClone(plan))).toEqual(plans);
    expect(renderPlan(reversedKeys(plan))).toEqual(plans);
  });

  it('never prints steps', () => {
    const texts = stepTexts(plan);
    if (plan.changes.length) expect(texts.length).toBeGreaterThan(0);
    for (const out of [...Object.values(outputs), renderText(plan, { color: true })]) {
      for (const t of texts) expect(out).not.toContain(t);
      expect(out).not.toContain('"steps"');
    }
  });

  it('never shows a password or credential the plan was made with', () => {
    const observed = readObserved(name);
    const secrets = [...Object.values(observed.keystore).flatMap((k) => Object.values(k)), ...Object.values(observed.env)];
    for (const out of Object.values(outputs)) for (const secret of secrets) expect(out).not.toContain(secret);
  });

  it('has no terminal escapes without colour', () => {
    for (const out of Object.values(outputs)) expect(out).not.toMatch(ANSI);
  });

  it('json carries the summary the plan computes', () => {
    const doc = JSON.parse(outputs['plan.json']!);
    expect(doc.format_version).toBe('1.0');
    expect(doc.summary).toEqual(summarize(plan));
    expect(doc.changes.map((c: { address: string }) => c.address)).toEqual(plan.changes.map((c) => c.address));
  });
});

describe('text colour', () => {
  it('uses ANSI colours only when asked', async () => {
    const update = await planCase('update');
    expect(renderText(update, { color: true })).toMatch(ANSI);
    expect(renderText(update, { color: false })).not.toMatch(ANSI);
  });

  it('neutralises escapes hidden in user names even with colour on', async () => {
    // With colour on, every ESC must come from chalk (ESC[..m around our own text), never from a name.
    const coloured = renderText(await planCase('weird-names'), { color: true });
    expect(coloured).not.toContain('\u001b[31mALERT');
    expect(coloured).toContain('red\\u001b[31mALERT\\nline');
    // The same in a warning: the host's error quotes a file name holding an escape and a newline.
    expect(coloured).not.toContain('\u001b[31mred');
    expect(coloured).toContain('<b>k</b> \\u001b[31mred\\nkey: ENOENT');
  });
});

describe('render()', () => {
  it('dispatches to each format', async () => {
    const update = await planCase('update');
    expect(render(update, 'text')).toBe(renderText(update, { color: false }));
    expect(render(update, 'text', { color: true })).toBe(renderText(update, { color: true }));
    expect(render(update, 'markdown')).toBe(renderMarkdown(update));
    expect(render(update, 'json')).toBe(renderJson(update));
  });
});

describe('markdown escaping', () => {
  let md: string;
  beforeAll(async () => {
    md = renderMarkdown(await planCase('weird-names'));
  });

  it('keeps every table row at five cells', () => {
    // A raw pipe from a user name would add a cell; count the unescaped separators.
    const tableRows = md.split('\n').filter((l) => l.startsWith('| '));
    expect(tableRows.length).toBeGreaterThan(2);
    for (const row of tableRows) expect(row.split(' | ').length).toBe(5);
  });

  it('lets no user-provided HTML through', () => {
    // Inside the diff code block `<b>` is shown literally; everywhere else it must be an entity.
    const outsideCode = md.replace(/^(`{3,})diff\n[\s\S]*?^\1$/m, '');
    expect(outsideCode).not.toContain('<b>');
    expect(outsideCode).toContain('&lt;b>z&lt;/b>');
  });

  it('keeps a warning on its line, its markup inert', () => {
    const warnings = md.split('\n').filter((l) => l.startsWith('> - host db-2 is left out'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('/etc/dbform/# id &#124; x\\`y\\` &lt;b>k&lt;/b> \\\\u001b\\[31mred\\\\nkey');
  });

  it('cannot be closed early by backticks in names', () => {
    const fence = /^(`{3,})diff$/m.exec(md)?.[1] ?? '';
    const inner = md.slice(md.indexOf(`${fence}diff`) + fence.length + 4, md.lastIndexOf(fence));
    expect(inner).toContain('x`y`');
    expect(inner).not.toMatch(new RegExp(`^${fence}`, 'm'));
  });
});
