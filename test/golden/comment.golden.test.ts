// Golden tests for the pull-request comment: each case in comment-plans.ts is rendered and compared byte
// for byte with test/golden/comment-expected/<name>.md. To accept an intended change:
//   UPDATE_GOLDEN=1 npx vitest run test/golden/comment.golden.test.ts && git diff test/golden/comment-expected

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasMarker, readFingerprint } from '../../src/action/markers.js';
import { GITHUB_BODY_LIMIT, renderPlanComment } from '../../src/action/plan-comment.js';
import { planFingerprint } from '../../src/plan/fingerprint.js';
import { COMMENT_CASES, STEP_MARKER } from './comment-plans.js';

const EXPECTED = join(dirname(fileURLToPath(import.meta.url)), 'comment-expected');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const CONFIG = 'databases.yaml';

function render(name: string): string {
  const c = COMMENT_CASES[name]!;
  return renderPlanComment({ configPath: CONFIG, head: c.head, base: c.base, headSha: c.headSha });
}

/** The rows of the markdown table under a heading, as addresses. */
function tableAddresses(md: string, heading: string): string[] {
  const start = md.indexOf(`#### ${heading}`);
  if (start < 0) return [];
  const section = md.slice(start).split(/\n#### |\n\*\*Hazards|\n<details>/)[0]!;
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => l.split(' | ')[1]!);
}

describe.each(Object.keys(COMMENT_CASES))('comment %s', (name) => {
  const md = render(name);
  const c = COMMENT_CASES[name]!;

  it('matches the golden file', () => {
    const file = join(EXPECTED, `${name}.md`);
    if (UPDATE) {
      mkdirSync(EXPECTED, { recursive: true });
      writeFileSync(file, md);
    }
    expect(existsSync(file), `${file} is missing; run with UPDATE_GOLDEN=1 to create it`).toBe(true);
    expect(md).toBe(readFileSync(file, 'utf8'));
  });

  it('starts with the markers apply on merge reads, and shows the fingerprint', () => {
    expect(hasMarker(md, 'plan', CONFIG)).toBe(true);
    expect(hasMarker(md, 'plan', `./${CONFIG}`)).toBe(true);
    expect(hasMarker(md, 'plan', 'other.yaml')).toBe(false);
    expect(readFingerprint(md)).toBe(planFingerprint(c.head));
    expect(md).toContain(`**Fingerprint \`${planFingerprint(c.head)}\`.**`);
  });

  it('fits GitHub and never shows a step', () => {
    expect(md.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(md).not.toContain(STEP_MARKER);
  });
});

describe('what goes where', () => {
  it('puts a change found in both plans under drift, and one only in the head plan under the pull request', () => {
    const md = render('changes-and-drift');
    expect(tableAddresses(md, 'Changes made by this pull request')).toEqual(['addon.shop.container']);
    expect(tableAddresses(md, 'Drift already on the hosts')).toEqual(['addon.shop.user.reporting']);
    expect(md).toContain('This pull request: 0 to add, 1 to change, 0 to destroy. Drift already on the hosts: 0 to add, 1 to change, 0 to destroy.');
    expect(md).toMatch(/#### Drift this pull request accepts\n\n[^\n]*\n\n- addon\.shop\.user\.analyst: /);
  });

  it('says so when the pull request itself changes nothing', () => {
    const md = render('drift-only');
    expect(md).toContain('_None: this pull request changes nothing on the hosts._');
    expect(tableAddresses(md, 'Drift already on the hosts')).toEqual(['addon.shop.user.reporting']);
  });

  it('shows one undivided table, and why, when the base could not be planned', () => {
    const md = render('base-unavailable');
    expect(md).toContain('Drift could not be told apart');
    expect(tableAddresses(md, 'Changes')).toEqual(['addon.shop.container', 'addon.shop.user.reporting']);
    expect(md).not.toContain('#### Drift');
  });

  it('names every hazard code and the flag apply needs', () => {
    const md = render('hazards');
    expect(md).toContain('--allow-hazards DATA_LOSS,RESTART,ACCESS_CHANGE,BACKUPS_DISABLED');
    expect(md).toContain('> [!WARNING]\n> - host db-3 is left out of this plan');
  });
});

describe('a plan too long for one comment', () => {
  const c = COMMENT_CASES.shortened!;
  const md = render('shortened');
  const full = renderPlanComment({ configPath: CONFIG, head: c.head, base: c.base, headSha: c.headSha }, Number.MAX_SAFE_INTEGER);

  it('would not fit whole, and is cut to just under the limit', () => {
    expect(full.length).toBeGreaterThan(GITHUB_BODY_LIMIT);
    expect(md.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(md.length).toBeGreaterThan(GITHUB_BODY_LIMIT - 2_000);
  });

  it('says clearly what was left out', () => {
    expect(md).toMatch(/> \[!NOTE\]\n> Shortened to stay under GitHub's limit of 65,535 characters: the details of \d+ of 482 changes are left out\./);
  });

  it('keeps the summary and both change tables whole, and cuts only the details', () => {
    expect(md).toContain('**Plan:** 480 to add, 2 to change, 0 to destroy.');
    expect(tableAddresses(md, 'Changes made by this pull request')).toHaveLength(480);
    expect(tableAddresses(md, 'Drift already on the hosts')).toHaveLength(2);
    const shownDetails = md.match(/^@@ /gm)!.length;
    expect(shownDetails).toBeGreaterThan(0);
    expect(shownDetails).toBeLessThan(482);
    // The details that are shown are the first ones, whole: the diff block is closed properly.
    expect(md).toMatch(/\n```\n\n<\/details>\n/);
  });

  it('cuts the tables too when even they do not fit, and says so', () => {
    const small = renderPlanComment({ configPath: CONFIG, head: c.head, base: c.base }, 20_000);
    expect(small.length).toBeLessThanOrEqual(20_000);
    expect(small).toContain('**Plan:** 480 to add, 2 to change, 0 to destroy.');
    expect(small).toMatch(/the details of 482 of 482 changes; 2 of 2 drift table rows; \d+ of 480 change table rows are left out/);
    expect(small).toMatch(/\|\n\n_… and \d+ more, left out to fit GitHub's size limit\._\n\n#### Drift already/);
    expect(small).toContain("_All 2 rows are left out to fit GitHub's size limit._");
    expect(readFingerprint(small)).toBe(planFingerprint(c.head));
  });
});
