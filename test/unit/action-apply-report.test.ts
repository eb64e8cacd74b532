// What apply returns as data, and what the CLI and the GitHub Action make of it: the hazards refused, each
// change's outcome as the hooks report it, the lines of the summary, and the apply comment built from a
// result (no output is captured or parsed).

import { describe, expect, it } from 'vitest';
import type { ApplyHooks } from '../../src/apply/apply.js';
import { hazardRefusalMessage, parseAllowedHazards, refusedHazards } from '../../src/apply/gate.js';
import { applyExitCode, changeOutcome, recordOutcomes, type ApplyResult, type ApplyRun, type ChangeOutcome } from '../../src/apply/result.js';
import { renderApplyComment } from '../../src/action/apply-comment.js';
import { applyReport } from '../../src/action/apply-report.js';
import { renderDriftIssue } from '../../src/action/drift-body.js';
import { planFingerprint } from '../../src/plan/fingerprint.js';
import type { Plan } from '../../src/plan/types.js';
import { applyLog, applyVerdict, hostSummaryLines, printingHooks } from '../../src/render/apply-text.js';
import { empty, update } from './sample-plans.js';

const SHA = '4f1c2d3e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d';
const [blog, legacyBackups, legacyContainer, shopContainer, analyst, reporting] = update.changes;

const outcome = changeOutcome;

const appliedRun: ApplyRun = {
  status: 'applied',
  plan: update,
  changes: update.changes.map((c, i) => outcome(c, { status: 'applied', ms: 100 * (i + 1) })),
  hosts: [
    { host: 'db-1', applied: 5, failed: 0, skipped: 0, errors: [] },
    { host: 'db-2', applied: 1, failed: 0, skipped: 0, errors: [] },
  ],
  hostErrors: new Map(),
  ms: 3_240,
  deferred: [],
};

const failedRun: ApplyRun = {
  status: 'failed',
  plan: update,
  changes: [
    outcome(legacyBackups!, { status: 'applied', ms: 250 }),
    outcome(shopContainer!, { status: 'failed', error: 'docker: port is already allocated' }),
    outcome(analyst!, { status: 'skipped', because: 'an earlier change of shop failed' }),
  ],
  hosts: [{ host: 'db-1', applied: 1, failed: 1, skipped: 1, errors: ['addon.shop.container: docker: port is already allocated'] }],
  hostErrors: new Map([['db-2', 'ssh: connection refused']]),
  ms: 1_000,
  deferred: [],
};

describe('hazards refused by apply', () => {
  it('lists the hazards not allowed, in plan order, and the message names every hazard code of the plan', () => {
    const refused = refusedHazards(update, parseAllowedHazards('RESTART'));
    expect(refused.map((r) => `${r.address} ${r.code}`)).toEqual([
      'addon.legacy.backups BACKUPS_DISABLED',
      'addon.legacy.container DATA_LOSS',
      'addon.shop.user.analyst ACCESS_CHANGE',
    ]);
    expect(refusedHazards(update, parseAllowedHazards('ALL'))).toEqual([]);
    const message = hazardRefusalMessage(refused, 'run again with --allow-hazards DATA_LOSS,RESTART,ACCESS_CHANGE,BACKUPS_DISABLED');
    expect(message.split('\n')).toEqual([
      'apply refused: the plan has hazardous changes that were not allowed:',
      `  addon.legacy.backups: BACKUPS_DISABLED: ${legacyBackups!.hazards[0]!.message}`,
      `  addon.legacy.container: DATA_LOSS: ${legacyContainer!.hazards[0]!.message}`,
      `  addon.shop.user.analyst: ACCESS_CHANGE: ${analyst!.hazards[0]!.message}`,
      'Review them, then run again with --allow-hazards DATA_LOSS,RESTART,ACCESS_CHANGE,BACKUPS_DISABLED',
    ]);
  });
});

describe('apply events and their record', () => {
  it('passes each event on and keeps every outcome, in the order the changes end', () => {
    const printed: string[] = [];
    const outcomes: ChangeOutcome[] = [];
    const hooks: ApplyHooks = recordOutcomes(printingHooks((l) => printed.push(l), false), outcomes);
    hooks.start(blog!);
    hooks.progress('db-2', 'pulling the image');
    hooks.start(reporting!);
    hooks.failed(reporting!, new Error('role is in use'));
    hooks.done(blog!, 1_260);
    hooks.skipped(analyst!, 'an earlier change of shop failed');
    expect(printed).toEqual([
      'addon.blog.container: updating...',
      '  [db-2] pulling the image',
      'addon.shop.user.reporting: updating...',
      'addon.shop.user.reporting: failed: role is in use',
      'addon.blog.container: done (1.3s)',
      'addon.shop.user.analyst: skipped (an earlier change of shop failed)',
    ]);
    expect(outcomes.map((o) => `${o.address} ${o.status}`)).toEqual([
      'addon.shop.user.reporting failed',
      'addon.blog.container applied',
      'addon.shop.user.analyst skipped',
    ]);
    expect(outcomes[0]).toMatchObject({ host: 'db-1', addon: 'shop', action: 'update', error: 'role is in use' });
  });
});

describe('apply summary from the result', () => {
  it('counts what was applied, from the plan and the hosts', () => {
    expect(applyVerdict(appliedRun)).toBe('Apply complete: 6 changes (1 added, 2 changed, 4 destroyed) in 3.2s.');
    expect(applyExitCode(appliedRun)).toBe(0);
  });

  it('names the hosts that failed and the hosts left out, and the log shows each change then the summary', () => {
    expect(applyVerdict(failedRun)).toBe('Apply failed on db-1, db-2; the other hosts were applied. Fix the cause and run apply again.');
    expect(applyExitCode(failedRun)).toBe(1);
    expect(applyLog(failedRun).split('\n')).toEqual([
      'addon.legacy.backups: done (0.3s)',
      'addon.shop.container: failed: docker: port is already allocated',
      'addon.shop.user.analyst: skipped (an earlier change of shop failed)',
      '',
      'host db-1: 1 applied, 1 failed, 1 skipped',
      '  addon.shop.container: docker: port is already allocated',
      'host db-2: not applied: ssh: connection refused',
      'Apply failed on db-1, db-2; the other hosts were applied. Fix the cause and run apply again.',
      '',
    ]);
  });

  it('lists the hosts left out by name', () => {
    const hostErrors = new Map([['db-9', 'locked by another apply'], ['db-3', 'unreachable']]);
    expect(hostSummaryLines({ hosts: [], hostErrors })).toEqual(['', 'host db-3: not applied: unreachable', 'host db-9: not applied: locked by another apply']);
  });
});

describe('the apply comment, from the result', () => {
  const reviewed = '0123456789abcdef';

  it('reports an apply with the verdict and each change, and the fingerprint it applied', () => {
    const report = applyReport(appliedRun, reviewed);
    expect(report.failure).toBeUndefined();
    const md = renderApplyComment({ configPath: 'databases.yaml', sha: SHA, outcome: report.outcome });
    expect(md).toContain('### dbform apply of databases.yaml: applied');
    expect(md).toContain(':white_check_mark: Apply complete: 6 changes (1 added, 2 changed, 4 destroyed) in 3.2s.');
    expect(md).toContain('fingerprint `0123456789abcdef`');
    expect(md).toContain('addon.legacy.container: done (0.3s)\n');
  });

  it('reports a failure as failed, with the failing change in the output and the step failing', () => {
    const report = applyReport(failedRun, reviewed);
    expect(report.failure).toBe(applyVerdict(failedRun));
    const md = renderApplyComment({ configPath: 'databases.yaml', sha: SHA, outcome: report.outcome });
    expect(md).toContain('### dbform apply of databases.yaml: failed');
    expect(md).toContain('addon.shop.container: failed: docker: port is already allocated');
    expect(md).toContain('host db-2: not applied: ssh: connection refused');
  });

  it('refuses a plan that is not the reviewed one, showing the plan as it is now', () => {
    const result: ApplyResult = {
      status: 'refused',
      refusal: { reason: 'not-reviewed', expected: reviewed, actual: planFingerprint(update) },
      plan: update,
      hostErrors: new Map(),
    };
    const report = applyReport(result, reviewed);
    expect(report.failure).toMatch(/^Apply refused\. The plan is not the one this pull request showed: /);
    expect(report.failure).toContain(`fingerprint ${reviewed} was reviewed, the plan is now ${planFingerprint(update)}`);
    const md = renderApplyComment({ configPath: 'databases.yaml', sha: SHA, outcome: report.outcome });
    expect(md).toContain('### dbform apply of databases.yaml: refused');
    expect(md).toContain('<details><summary>Current plan</summary>');
    expect(md).toContain('| `-/+` | addon.blog.container | replace |');
  });

  it('refuses hazards not allowed, naming the action input to set rather than the CLI flag', () => {
    const hazards = refusedHazards(update, parseAllowedHazards('RESTART,BACKUPS_DISABLED,ACCESS_CHANGE'));
    const result: ApplyResult = { status: 'refused', refusal: { reason: 'hazards', hazards, allowWith: ['DATA_LOSS', 'RESTART'] }, plan: update, hostErrors: new Map() };
    const report = applyReport(result, reviewed);
    expect(report.failure).toContain('  addon.legacy.container: DATA_LOSS: ');
    expect(report.failure).toMatch(/Review them, then set the action's input `allow-hazards: DATA_LOSS,RESTART` in the apply workflow$/);
    expect(report.failure).not.toContain('--allow-hazards');
    const md = renderApplyComment({ configPath: 'databases.yaml', sha: SHA, outcome: report.outcome });
    expect(md).toContain(':no_entry: **Nothing was applied.** The plan has hazardous changes that were not allowed: addon.legacy.container (DATA\\_LOSS: ');
  });

  it('fails when there is nothing to apply but a host could not be checked', () => {
    const clean = applyReport({ status: 'no-changes', plan: empty, hostErrors: new Map() }, reviewed);
    expect(clean.failure).toBeUndefined();
    expect(clean.outcome).toMatchObject({ kind: 'applied', summary: 'No changes. The live state matches databases.yaml.' });
    const partial = applyReport({ status: 'no-changes', plan: empty, hostErrors: new Map([['db-2', 'unreachable']]) }, reviewed);
    expect(partial.failure).toBe('No changes on the hosts that were read; not read: db-2.');
    expect(partial.outcome).toMatchObject({ log: 'No changes on the hosts that were read; not read: db-2.\n\nhost db-2: not applied: unreachable\n' });
    expect(partial.outcome).toMatchObject({ kind: 'failed' });
    expect(applyExitCode({ status: 'no-changes', plan: empty, hostErrors: new Map([['db-2', 'unreachable']]) })).toBe(1);
  });
});

describe('drift issue with late backups', () => {
  it('says the backups are late, and that applying does not repair it', () => {
    const late = 'add-on shop: the last good backup (20250101T000000Z) is older than 26 hours';
    const plan: Plan = { ...empty, warnings: [late] };
    const md = renderDriftIssue({ configPath: 'databases.yaml', plan, lateBackups: [late], sha: SHA });
    expect(md).toContain('**Backups are late** for 1 add-on (named in the warnings below): applying the file does not repair that');
    expect(md).toContain('> - add-on shop: the last good backup (20250101T000000Z) is older than 26 hours');
    expect(md).not.toContain('**Plan:**');
  });
});
