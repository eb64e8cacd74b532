// Pull-request comments built from real inputs: each entry of a case's comments.json names the base
// commit's state (a config file of the case, a new file, or a base that could not be planned); the head
// and base plans are made by the harness against the case's observed.json. The byte-for-byte comparison
// with <case>/comment-NAME.md is in render.golden.test.ts (one place for every golden file); here are the
// properties a comment must have, and where each change goes.

import { beforeAll, describe, expect, it } from 'vitest';
import { hasMarker, readFingerprint } from '../../src/action/markers.js';
import { GITHUB_BODY_LIMIT } from '../../src/action/plan-comment.js';
import { planFingerprint } from '../../src/plan/fingerprint.js';
import { escapeInline } from '../../src/render/markdown-escape.js';
import { CONFIG_NAME, commentInput, listCases, readCommentSpecs, renderComment, type CommentInput } from './harness.js';
import { stepTexts } from './steps.js';

const COMMENTS = listCases().flatMap((c) => Object.entries(readCommentSpecs(c)).map(([name, spec]) => ({ case: c, name, spec })));

async function comment(caseName: string, name: string): Promise<{ md: string; input: CommentInput }> {
  const input = await commentInput(caseName, readCommentSpecs(caseName)[name]!);
  return { md: renderComment(input), input };
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

it('covers every kind of base', () => {
  expect(COMMENTS.map((c) => `${c.case}/${c.name}`)).toEqual([
    'big-fleet/shortened',
    'first-apply/new-file',
    'first-apply/changes-only',
    'no-change/no-changes',
    'pr-with-drift/changes-and-drift',
    'pr-with-drift/drift-only',
    'pr-with-drift/base-unavailable',
    'update/hazards',
  ]);
});

describe.each(COMMENTS)('comment $case/$name', ({ case: caseName, name }) => {
  let md: string;
  let input: CommentInput;
  beforeAll(async () => {
    ({ md, input } = await comment(caseName, name));
  });

  it('starts with the markers apply on merge reads, and shows the fingerprint', () => {
    expect(hasMarker(md, 'plan', CONFIG_NAME)).toBe(true);
    expect(hasMarker(md, 'plan', `./${CONFIG_NAME}`)).toBe(true);
    expect(hasMarker(md, 'plan', 'other.yaml')).toBe(false);
    expect(readFingerprint(md)).toBe(planFingerprint(input.head));
    expect(md).toContain(`**Fingerprint \`${planFingerprint(input.head)}\`.**`);
  });

  it('fits GitHub and never shows a step', () => {
    expect(md.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    const texts = stepTexts(input.head);
    if (input.head.changes.length) expect(texts.length).toBeGreaterThan(0);
    for (const t of texts) expect(md).not.toContain(t);
  });
});

describe('what goes where', () => {
  it('puts a change found in both plans under drift, and one only in the head plan under the pull request', async () => {
    const { md } = await comment('pr-with-drift', 'changes-and-drift');
    expect(tableAddresses(md, 'Changes made by this pull request')).toEqual(['addon.shop.container']);
    expect(tableAddresses(md, 'Drift already on the hosts')).toEqual(['addon.shop.user.reporting', 'addon.shop.grants.reporting']);
    expect(md).toContain('This pull request: 0 to add, 1 to change, 0 to destroy. Drift already on the hosts: 0 to add, 2 to change, 0 to destroy.');
    // citext was dropped by hand and the pull request removes it from the file.
    expect(md).toMatch(/#### Drift this pull request accepts\n\n[^\n]*\n\n- addon\.shop\.extension\.citext: [^\n]*\n\n\*\*Hazards/);
  });

  it('says so when the pull request itself changes nothing', async () => {
    const { md } = await comment('pr-with-drift', 'drift-only');
    expect(md).toContain('_None: this pull request changes nothing on the hosts._');
    expect(tableAddresses(md, 'Drift already on the hosts')).toEqual([
      'addon.shop.user.reporting',
      'addon.shop.grants.reporting',
      'addon.shop.extension.citext',
    ]);
    expect(md).not.toContain('#### Drift this pull request accepts');
  });

  it('shows one undivided table, and why, when the base could not be planned', async () => {
    const { md } = await comment('pr-with-drift', 'base-unavailable');
    expect(md).toContain('Drift could not be told apart');
    expect(tableAddresses(md, 'Changes')).toEqual(['addon.shop.container', 'addon.shop.user.reporting', 'addon.shop.grants.reporting']);
    expect(md).not.toContain('#### Drift');
  });

  it('counts everything as the pull request when the file is new, or when the base plans nothing', async () => {
    const { md: fresh, input } = await comment('first-apply', 'new-file');
    expect(fresh).toContain('databases.yaml is new in this pull request');
    expect(tableAddresses(fresh, 'Changes')).toEqual(input.head.changes.map((c) => escapeInline(c.address)));
    const { md: fromEmpty } = await comment('first-apply', 'changes-only');
    expect(tableAddresses(fromEmpty, 'Changes made by this pull request')).toEqual(input.head.changes.map((c) => escapeInline(c.address)));
    expect(fromEmpty).not.toContain('#### Drift');
  });

  it('says there is nothing to do when the live state matches', async () => {
    const { md } = await comment('no-change', 'no-changes');
    expect(md).toContain('**No changes.** The live state matches databases.yaml with this pull request.');
    expect(md).not.toContain('| `');
  });

  it('names every hazard code and the flag apply needs', async () => {
    const { md } = await comment('update', 'hazards');
    expect(md).toContain('--allow-hazards DATA_LOSS,RESTART,ACCESS_CHANGE,BACKUPS_DISABLED');
    expect(md).toContain('> [!WARNING]\n> - host db-3 is left out of this plan');
    // reporting's grants were changed by hand, but the pull request changes what they must be too (the
    // default privileges of analyst go with analyst): the change is the pull request's, not drift.
    // blog leaves its starter plan, so its PITR goes too (and archiving: a container change); shop gets it.
    expect(tableAddresses(md, 'Changes made by this pull request')).toEqual([
      'addon.blog.pitr',
      'addon.blog.container',
      'addon.blog.backups',
      'addon.legacy.container',
      'addon.shop.pitr',
      'addon.shop.container',
      'addon.shop.user.analyst',
      'addon.shop.grants.reporting',
      'addon.shop.access',
      'addon.shop.backups',
      'addon.shop.pitr\\_base', // markdown-escaped in the table
    ]);
    expect(md).not.toContain('#### Drift');
  });
});

describe('a plan too long for one comment', () => {
  let input: CommentInput;
  let md: string;
  let full: string;
  beforeAll(async () => {
    ({ md, input } = await comment('big-fleet', 'shortened'));
    full = renderComment(input, Number.MAX_SAFE_INTEGER);
  });

  it('would not fit whole, and is cut to just under the limit', () => {
    expect(full.length).toBeGreaterThan(GITHUB_BODY_LIMIT);
    expect(md.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(md.length).toBeGreaterThan(GITHUB_BODY_LIMIT - 2_000);
  });

  it('says clearly what was left out', () => {
    expect(md).toMatch(/> \[!NOTE\]\n> Shortened to stay under GitHub's limit of 65,535 characters: the details of \d+ of 602 changes are left out\./);
  });

  it('keeps the summary and both change tables whole, and cuts only the details', () => {
    expect(md).toContain('**Plan:** 600 to add, 2 to change, 0 to destroy.');
    expect(tableAddresses(md, 'Changes made by this pull request')).toHaveLength(600);
    expect(tableAddresses(md, 'Drift already on the hosts')).toHaveLength(2);
    const shownDetails = md.match(/^@@ /gm)!.length;
    expect(shownDetails).toBeGreaterThan(0);
    expect(shownDetails).toBeLessThan(602);
    // The details that are shown are the first ones, whole: the diff block is closed properly.
    expect(md).toMatch(/\n```\n\n<\/details>\n/);
  });

  it('cuts the tables too when even they do not fit, and says so', () => {
    const small = renderComment(input, 20_000);
    expect(small.length).toBeLessThanOrEqual(20_000);
    expect(small).toContain('**Plan:** 600 to add, 2 to change, 0 to destroy.');
    expect(small).toMatch(/the details of 602 of 602 changes; 2 of 2 drift table rows; \d+ of 600 change table rows are left out/);
    expect(small).toMatch(/\|\n\n_… and \d+ more, left out to fit GitHub's size limit\._\n\n#### Drift already/);
    expect(small).toContain("_All 2 rows are left out to fit GitHub's size limit._");
    expect(readFingerprint(small)).toBe(planFingerprint(input.head));
  });
});
