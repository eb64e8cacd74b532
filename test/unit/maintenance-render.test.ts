import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import type { ApplyRun } from '../../src/apply/result.js';
import { changeOutcome } from '../../src/apply/result.js';
import { applyReport } from '../../src/action/apply-report.js';
import { renderApplyComment } from '../../src/action/apply-comment.js';
import { deferredNow, holdForWindows } from '../../src/maintenance/hold.js';
import { render } from '../../src/render/index.js';
import { applyLog } from '../../src/render/apply-text.js';
import { update } from './sample-plans.js';

// The deferral is read from plan data (Change.window) and from the apply result (deferred), never from text.
const PARIS = 'Europe/Paris';
const monday = DateTime.fromISO('2026-11-30T13:00', { zone: PARIS }).toJSDate();
const addon = update.changes.find((c) => c.hazards.some((h) => h.code === 'RESTART'))!.addon;
const held = holdForWindows(update, new Map([[addon, { window: 'sun 03:00-05:00', timezone: PARIS }]]), monday);
const waiting = held.changes.filter((c) => c.window);

describe('a plan with changes that wait for a window', () => {
  it('holds the RESTART change of the sample plan and the later changes of its add-on', () => {
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting[0]!.window!.because).toBe('hazard RESTART');
  });

  it('text: a line under each held change, saying when the window opens', () => {
    const text = render(held, 'text', { color: false });
    for (const c of waiting) expect(text).toContain(`@ maintenance window sun 03:00-05:00 Europe/Paris: waits for the window starting Sun 2026-12-06 03:00 UTC+01:00 (${c.window!.because})`);
    expect(render(update, 'text', { color: false })).not.toContain('maintenance window');
  });

  it('markdown: one list of held changes; json: maintenance_window on each of them only', () => {
    const md = render(held, 'markdown');
    expect(md).toContain('**Maintenance windows.**');
    for (const c of waiting) expect(md).toContain(`- :alarm_clock: ${c.address.replace(/_/g, '\\_')}: maintenance window`);
    const json = JSON.parse(render(held, 'json')) as { changes: { address: string; maintenance_window?: unknown }[] };
    expect(json.changes.filter((c) => c.maintenance_window).map((c) => c.address)).toEqual(waiting.map((c) => c.address));
    expect(json.changes.find((c) => c.maintenance_window)!.maintenance_window).toEqual({
      window: 'sun 03:00-05:00', timezone: PARIS, because: 'hazard RESTART', open_now: false, opens_at: '2026-12-06T03:00:00.000+01:00',
    });
  });
});

describe('an apply that deferred changes', () => {
  const { run, deferred } = deferredNow(held, monday, false);
  const result: ApplyRun = {
    status: 'applied', plan: held, changes: run.map((c) => changeOutcome(c, { status: 'applied', ms: 100 })),
    hosts: [{ host: 'db-1', applied: run.length, failed: 0, skipped: 0, errors: [] }], hostErrors: new Map(), ms: 1000, deferred,
  };

  it('the log names each deferred change and when its window starts; the verdict counts them apart', () => {
    const log = applyLog(result);
    for (const d of deferred) expect(log).toContain(`${d.address}: deferred to the window starting Sun 2026-12-06 03:00 UTC+01:00 (sun 03:00-05:00 Europe/Paris): ${d.because}`);
    expect(log).toContain(`Apply complete: ${run.length} change`);
    expect(log).toContain(`${deferred.length} change${deferred.length === 1 ? ' waits' : 's wait'} for a maintenance window`);
  });

  it('the comment on the pull request lists what was deferred, outside the folded output', () => {
    const report = applyReport(result, 'fp');
    expect(report.failure).toBeUndefined();
    const md = renderApplyComment({ configPath: 'databases.yaml', sha: 'abcdef0123', outcome: report.outcome });
    const listed = md.slice(md.indexOf('**Deferred to a maintenance window**'), md.indexOf('<details>'));
    for (const d of deferred) expect(listed).toContain(d.address.replace(/_/g, '\\_'));
    expect(listed).toContain('deferred to the window starting Sun 2026-12-06 03:00 UTC+01:00');
  });
});
