// Renderers at 1,000 add-ons on 20 hosts, on plain data: the per-host summary (each renderer reads the
// same rows), and the pull-request comment cut under GitHub's limit with the summary kept whole and a
// pointer to the full plan.

import { describe, expect, it } from 'vitest';
import { renderDriftIssue } from '../../src/action/drift-body.js';
import { GITHUB_BODY_LIMIT, renderPlanComment } from '../../src/action/plan-comment.js';
import type { Action, Change, Plan } from '../../src/plan/types.js';
import { HOST_SUMMARY_MIN_CHANGES, summarizeByHost, wantsHostSummary } from '../../src/render/host-summary.js';
import { renderMarkdown, renderText } from '../../src/render/index.js';

function change(addon: string, host: string, what: string, action: Action, hazard = false): Change {
  return {
    address: `addon.${addon}.${what}`,
    kind: what,
    host,
    addon,
    action,
    reason: `${what} of ${addon} differs from the file`,
    before: action === 'create' ? null : { value: 'old' },
    after: action === 'delete' ? null : { value: 'new', owner: addon },
    hazards: hazard ? [{ code: 'DATA_LOSS', message: `drops the data of ${addon}` }] : [],
    steps: [],
  } as Change;
}

/** `addons` add-ons spread over `hosts` hosts; each has 4 creates and 1 update, and every 100th add-on
 *  is replaced with data loss. */
function fleetPlan(addons: number, hosts: number): Plan {
  const changes: Change[] = [];
  for (let i = 0; i < addons; i++) {
    const addon = `tenant-${String(i).padStart(4, '0')}`;
    const host = `db-${String((i % hosts) + 1).padStart(2, '0')}`;
    for (const what of ['container', 'user', 'database', 'grants']) changes.push(change(addon, host, what, 'create'));
    changes.push(i % 100 === 0 ? change(addon, host, 'tls', 'replace', true) : change(addon, host, 'tls', 'update'));
  }
  return {
    formatVersion: 1,
    config: { file: 'databases.yaml', sha256: 'ab'.repeat(32) },
    observedFingerprint: 'cd'.repeat(32),
    changes,
    warnings: [],
    hostsNotRead: [],
    instances: {},
  };
}

describe('per-host summary', () => {
  it('counts each host as summarize counts the plan (a replace is one add and one destroy)', () => {
    const plan = fleetPlan(1000, 20);
    const rows = summarizeByHost(plan.changes);
    expect(rows.map((r) => r.host)).toEqual(Array.from({ length: 20 }, (_, i) => `db-${String(i + 1).padStart(2, '0')}`));
    for (const r of rows) expect(r.addons).toBe(50);
    // db-01 holds tenants 0, 20, 40, ...: those divisible by 100 are replaced (0, 100, ..., 900).
    expect(rows[0]).toEqual({ host: 'db-01', addons: 50, add: 50 * 4 + 10, change: 40, destroy: 10, hazards: ['DATA_LOSS'] });
    expect(rows[1]).toEqual({ host: 'db-02', addons: 50, add: 200, change: 50, destroy: 0, hazards: [] });
    const sum = (k: 'add' | 'change' | 'destroy') => rows.reduce((n, r) => n + r[k], 0);
    expect([sum('add'), sum('change'), sum('destroy')]).toEqual([4010, 990, 10]);
  });

  it('is added only to plans of many changes on more than one host', () => {
    expect(wantsHostSummary(fleetPlan(1000, 20))).toBe(true);
    expect(wantsHostSummary(fleetPlan(1000, 1))).toBe(false);
    const small = fleetPlan(HOST_SUMMARY_MIN_CHANGES / 5 - 1, 2);
    expect(wantsHostSummary(small)).toBe(false);
    expect(renderText(small, { color: false })).not.toContain('Changes per host:');
    expect(renderMarkdown(small)).not.toContain('| Host |');
  });

  it('sits above the verdict in the text and above the change table in markdown', () => {
    const plan = fleetPlan(1000, 20);
    const text = renderText(plan, { color: false });
    const tail = text.trimEnd().split('\n').slice(-23);
    expect(tail[0]).toBe('Changes per host:');
    expect(tail[1]).toBe('  db-01   50 add-ons: 210 to add, 40 to change, 10 to destroy. Hazards: DATA_LOSS.');
    expect(tail[2]).toBe('  db-02   50 add-ons: 200 to add, 50 to change, 0 to destroy.');
    expect(tail[22]).toBe('Plan: 4010 to add, 990 to change, 10 to destroy. Hazards: DATA_LOSS.');
    const md = renderMarkdown(plan);
    expect(md.indexOf('| db-01 | 50 | 210 | 40 | 10 | :warning: `DATA_LOSS` |')).toBeGreaterThan(md.indexOf('**Plan:**'));
    expect(md.indexOf('| db-20 | 50 |')).toBeLessThan(md.indexOf('| | Address |'));
  });
});

describe('the pull-request comment of 1,000 add-ons', () => {
  const plan = fleetPlan(1000, 20);
  const md = renderPlanComment({ configPath: 'databases.yaml', head: plan, base: { kind: 'new-file' }, headSha: 'f'.repeat(40) });

  it('fits under GitHub limit, with every host summarized and the hazards listed in full', () => {
    expect(md.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    for (const r of summarizeByHost(plan.changes)) expect(md).toContain(`| ${r.host} | ${r.addons} | ${r.add} | ${r.change} | ${r.destroy} |`);
    const hazardLines = md.split('\n').filter((l) => l.startsWith('- :warning: **DATA_LOSS**'));
    expect(hazardLines).toHaveLength(10);
  });

  it('cuts the details and table rows, says how many, and points to the whole plan', () => {
    const rows = md.split('\n').filter((l) => /^\| `[^`]+` \| addon\./.test(l));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(plan.changes.length);
    // The rows shown are the first of the plan, in its order.
    expect(rows[0]).toContain('addon.tenant-0000.container');
    const hidden = plan.changes.length - rows.length;
    expect(md).toContain(`_… and ${hidden} more, left out to fit GitHub's size limit._`);
    expect(md).toContain(`${hidden} of ${plan.changes.length} change table rows`);
    expect(md).toContain("The whole plan is in this job's log and in the action's `plan-file` output");
    expect(md).toContain(`**Plan:** 4010 to add, 990 to change, 10 to destroy.`);
  });
});

describe('the drift issue of 1,000 add-ons', () => {
  it('fits under GitHub limit with every host summarized above the cut table', () => {
    const plan = fleetPlan(1000, 20);
    const md = renderDriftIssue({ configPath: 'databases.yaml', plan, sha: 'f'.repeat(40) });
    expect(md.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    const rows = summarizeByHost(plan.changes);
    for (const r of rows) expect(md).toContain(`| ${r.host} | ${r.addons} | ${r.add} | ${r.change} | ${r.destroy} |`);
    expect(md.indexOf('| db-20 |')).toBeLessThan(md.indexOf('Shortened to stay under'));
  });
});
