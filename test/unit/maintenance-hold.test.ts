import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { addonWindows, deferredNow, deferralText, holdForWindows } from '../../src/maintenance/hold.js';
import { planFingerprint } from '../../src/plan/fingerprint.js';
import type { Change, HazardCode, Plan } from '../../src/plan/types.js';
import { loadConfig } from '../../src/config/load.js';
import { yaml } from './config-helpers.js';

const change = (addon: string, address: string, kind: string, hazards: string[] = []): Change => ({
  address: `addon.${addon}.${address}`, kind, host: 'local', addon, action: 'update', reason: '', before: null, after: null,
  hazards: hazards.map((code) => ({ code: code as HazardCode, message: `${code} message` })), steps: [{ type: `${kind}.step` }],
});

const plan = (changes: Change[]): Plan => ({
  formatVersion: 1, config: { file: 'databases.yaml', sha256: 'x' }, observedFingerprint: 'o', changes, warnings: [], hostsNotRead: [], instances: {},
});

const PARIS = 'Europe/Paris';
const sunday = new Map([['shop', { window: 'sun 03:00-05:00', timezone: PARIS }]]);
const monday = DateTime.fromISO('2026-11-30T13:00', { zone: PARIS }).toJSDate();
const insideSunday = DateTime.fromISO('2026-12-06T03:30', { zone: PARIS }).toJSDate();

const fleet = plan([
  change('blog', 'container', 'container', ['RESTART']),
  change('shop', 'hba', 'hba'),
  change('shop', 'container', 'container', ['RESTART']),
  change('shop', 'user.a', 'user'),
  change('shop', 'grants.a', 'grants'),
  change('shop', 'grants.b', 'grants'),
]);

describe('which changes wait for a maintenance window', () => {
  const held = holdForWindows(fleet, sunday, monday);
  const holds = Object.fromEntries(held.changes.map((c) => [c.address, c.window?.because ?? null]));

  it('a disruptive change and every later change of its add-on; earlier ones and other add-ons do not wait', () => {
    expect(holds).toEqual({
      'addon.blog.container': null, // blog declares no window: its RESTART is applied at once
      'addon.shop.hba': null, // before the restart, it does not depend on it
      'addon.shop.container': 'hazard RESTART',
      'addon.shop.user.a': 'follows addon.shop.container, which waits for the window',
      'addon.shop.grants.a': 'follows addon.shop.container, which waits for the window',
      'addon.shop.grants.b': 'follows addon.shop.container, which waits for the window',
    });
  });

  it('the plan says when the window opens, in the add-on\'s zone, and whether it is open now', () => {
    expect(held.changes[2]!.window).toEqual({ window: 'sun 03:00-05:00', timezone: PARIS, because: 'hazard RESTART', openNow: false, opensAt: '2026-12-06T03:00:00.000+01:00' });
    expect(holdForWindows(fleet, sunday, insideSunday).changes[2]!.window).toMatchObject({ openNow: true, opensAt: '2026-12-06T03:00:00.000+01:00' });
  });

  it('FAILOVER and MAJOR_UPGRADE wait too; DATA_LOSS and ACCESS_CHANGE alone do not', () => {
    const p = plan([change('shop', 'tls', 'tls', ['ACCESS_CHANGE']), change('shop', 'old', 'container', ['DATA_LOSS'])]);
    expect(holdForWindows(p, sunday, monday).changes.map((c) => c.window)).toEqual([undefined, undefined]);
    for (const code of ['FAILOVER', 'MAJOR_UPGRADE']) {
      expect(holdForWindows(plan([change('shop', 'container', 'container', [code])]), sunday, monday).changes[0]!.window?.because).toBe(`hazard ${code}`);
    }
  });

  it('the fingerprint does not depend on the clock: a window opening between review and apply changes nothing', () => {
    expect(planFingerprint(holdForWindows(fleet, sunday, monday))).toBe(planFingerprint(holdForWindows(fleet, sunday, insideSunday)));
    expect(planFingerprint(holdForWindows(fleet, sunday, monday))).not.toBe(planFingerprint(fleet));
  });

  it('reads each add-on\'s window, or the default one, in defaults.timezone', () => {
    const config = loadConfig('databases.yaml', yaml(
      'version: 1', 'defaults:', '  timezone: UTC', '  maintenance:', '    window: "daily 01:00-02:00"', 'addons:',
      '  shop:', '    plan: postgresql-sandbox', '    port: 31000', '    maintenance:', '      window: "sun 03:00-05:00"',
      '  blog:', '    plan: postgresql-sandbox', '    port: 31001',
    ));
    expect(Object.fromEntries(addonWindows(config))).toEqual({
      blog: { window: 'daily 01:00-02:00', timezone: 'UTC' },
      shop: { window: 'sun 03:00-05:00', timezone: 'UTC' },
    });
  });
});

describe('what apply defers', () => {
  const held = holdForWindows(fleet, sunday, monday);

  it('outside the window: the held changes, whole transaction units, with the start of the next window', () => {
    const { run, deferred } = deferredNow(held, monday, false);
    expect(run.map((c) => c.address)).toEqual(['addon.blog.container', 'addon.shop.hba']);
    expect(deferred.map((d) => d.address)).toEqual(['addon.shop.container', 'addon.shop.user.a', 'addon.shop.grants.a', 'addon.shop.grants.b']);
    expect(deferralText(deferred[0]!)).toBe('deferred to the window starting Sun 2026-12-06 03:00 UTC+01:00 (sun 03:00-05:00 Europe/Paris)');
  });

  it('inside the window, or with --ignore-window: everything runs, in plan order', () => {
    expect(deferredNow(held, insideSunday, false)).toEqual({ run: held.changes, deferred: [] });
    expect(deferredNow(held, monday, true)).toEqual({ run: held.changes, deferred: [] });
  });

  it('a saved plan made inside the window and applied after it closed is deferred to the next one', () => {
    const madeInside = holdForWindows(fleet, sunday, insideSunday);
    const after = DateTime.fromISO('2026-12-06T05:01', { zone: PARIS }).toJSDate();
    expect(deferredNow(madeInside, after, false).deferred[0]!.opensAt).toBe('2026-12-13T03:00:00.000+01:00');
  });

  it('refuses a window a plan file was tampered with', () => {
    const bad = { ...held, changes: held.changes.map((c) => (c.window ? { ...c, window: { ...c.window, window: 'whenever' } } : c)) };
    expect(() => deferredNow(bad, monday, false)).toThrow(/addon.shop.container: maintenance window "whenever" must be/);
  });
});
