// The apply-result comment and the drift issue body: what they must say, and that they fit GitHub.

import { describe, expect, it } from 'vitest';
import { renderApplyComment } from '../../src/action/apply-comment.js';
import { renderDriftIssue } from '../../src/action/drift-body.js';
import { hasMarker } from '../../src/action/markers.js';
import { GITHUB_BODY_LIMIT } from '../../src/action/plan-comment.js';
import { planCase } from '../golden/harness.js';

const SHA = '4f1c2d3e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d';
const RUN = 'https://github.test/acme/fleet/actions/runs/42';

describe('apply comment', () => {
  it('reports an apply with its summary, the fingerprint it applied and the output folded', () => {
    const md = renderApplyComment({
      configPath: 'databases.yaml',
      sha: SHA,
      runUrl: RUN,
      outcome: { kind: 'applied', summary: 'Apply complete: 2 changes (2 added, 0 changed, 0 destroyed) in 3.1s.', log: 'addon.x.container: done\n', fingerprint: '0123456789abcdef' },
    });
    expect(hasMarker(md, 'apply', 'databases.yaml')).toBe(true);
    expect(hasMarker(md, 'plan', 'databases.yaml')).toBe(false);
    expect(md).toContain('### dbform apply of databases.yaml: applied');
    expect(md).toContain(':white_check_mark: Apply complete: 2 changes');
    expect(md).toContain('fingerprint `0123456789abcdef`');
    expect(md).toContain('<details><summary>Output</summary>\n\n```text\naddon.x.container: done\n```');
    expect(md).toContain(`<sub>commit 4f1c2d3 · [workflow run](${RUN})</sub>`);
  });

  it('keeps the end of an output too long for a comment', () => {
    const log = Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n') + '\nApply failed on db-1';
    const md = renderApplyComment({ configPath: 'databases.yaml', sha: SHA, outcome: { kind: 'failed', summary: 'Apply failed on db-1', log, fingerprint: 'f' } });
    expect(md.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(md).toMatch(/\[… \d+ characters cut, the whole output is in the job log\]/);
    expect(md).toContain('line 19999\nApply failed on db-1\n```');
    expect(md).not.toContain('line 0\n');
  });

  it('explains a refusal, what to do, and shows the plan as it is now', async () => {
    const update = await planCase('update');
    const md = renderApplyComment({
      configPath: 'databases.yaml',
      sha: SHA,
      outcome: { kind: 'refused', reason: 'The plan is not the one this pull request showed.', currentPlan: update },
    });
    expect(md).toContain('### dbform apply of databases.yaml: refused');
    expect(md).toContain(':no_entry: **Nothing was applied.** The plan is not the one this pull request showed.');
    expect(md).toContain("re-run this pull request's plan job");
    expect(md).toContain('<details><summary>Current plan</summary>\n\n**Plan:** 2 to add, 5 to change, 4 to destroy.');
  });

  it('still gets a refusal through when the current plan is too long to show', async () => {
    const big = await planCase('big-fleet');
    const md = renderApplyComment({ configPath: 'databases.yaml', sha: SHA, outcome: { kind: 'refused', reason: 'changed', currentPlan: big } });
    expect(md.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(md).toContain("_The current plan is too long for this comment: it is in this job's log._");
  });
});

describe('drift issue body', () => {
  it('shows the plan that would repair the drift, and where it was found', async () => {
    // The base branch's file of that case against hosts changed by hand: a plan of drift only.
    const drift = await planCase('pr-with-drift', 'base.yaml');
    const md = renderDriftIssue({ configPath: 'databases.yaml', plan: drift, sha: SHA, runUrl: RUN });
    expect(hasMarker(md, 'drift', 'databases.yaml')).toBe(true);
    expect(md).toContain('### The live state differs from databases.yaml');
    expect(md).toContain(`commit 4f1c2d3 ([workflow run](${RUN}))`);
    expect(md).toContain('**Plan:** 1 to add, 2 to change, 0 to destroy.');
    expect(md).toContain('| `~` | addon.shop.user.reporting | update |');
    expect(md).toContain('<details><summary>Details</summary>');
  });

  it('fits GitHub, cutting the details first', async () => {
    const plan = await planCase('big-fleet');
    const md = renderDriftIssue({ configPath: 'databases.yaml', plan, sha: SHA });
    expect(md.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(md).toMatch(/the details of \d+ changes are left out/);
    expect(md.split('\n').filter((l) => l.startsWith('| `'))).toHaveLength(plan.changes.length);
  });
});
