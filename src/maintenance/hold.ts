// Which changes of a plan wait for a maintenance window, and which of them apply must defer now. Pure.
// A change with a disruptive hazard waits for its add-on's window; so does every later change of that
// add-on, because an add-on's changes run in plan order and each may depend on the ones before it (apply
// skips the rest of an add-on after a failure for the same reason). Holding "this change and everything
// after it" also keeps every transaction unit whole.

import { DateTime } from 'luxon';
import type { Config } from '../config/types.js';
import type { Change, Plan, WindowHold } from '../plan/types.js';
import { currentOrNextWindow, localTime, parseWindow } from './window.js';

/** Hazards that interrupt the add-on's clients: held until the add-on's maintenance window. */
export const DISRUPTIVE_HAZARDS: ReadonlySet<string> = new Set(['RESTART', 'FAILOVER', 'MAJOR_UPGRADE']);

export interface AddonWindow {
  window: string;
  timezone: string;
}

/** The add-ons that declare a window (their own or the default one), read in defaults.timezone. */
export function addonWindows(config: Config): Map<string, AddonWindow> {
  const out = new Map<string, AddonWindow>();
  for (const a of config.addons) if (a.maintenance.window) out.set(a.name, { window: a.maintenance.window, timezone: config.defaults.timezone });
  return out;
}

/** The plan with `window` set on the changes that wait for their add-on's window (`windows`: by add-on). */
export function holdForWindows(plan: Plan, windows: ReadonlyMap<string, AddonWindow>, now: Date): Plan {
  const firstHeld = new Map<string, string>();
  const changes = plan.changes.map((change): Change => {
    const w = windows.get(change.addon);
    if (!w) return change;
    const disruptive = change.hazards.find((h) => DISRUPTIVE_HAZARDS.has(h.code));
    const leader = firstHeld.get(change.addon);
    if (!disruptive && leader === undefined) return change;
    if (leader === undefined) firstHeld.set(change.addon, change.address);
    const because = disruptive ? `hazard ${disruptive.code}` : `follows ${leader}, which waits for the window`;
    return { ...change, window: hold(w, because, now) };
  });
  return { ...plan, changes };
}

function hold(w: AddonWindow, because: string, now: Date): WindowHold {
  const spec = parseWindow(w.window);
  // The config loader refused a bad window; a tampered saved plan is refused by deferredNow.
  if (typeof spec === 'string') throw new Error(`maintenance window ${JSON.stringify(w.window)} ${spec}`);
  const occ = currentOrNextWindow(spec, w.timezone, now);
  return { ...w, because, openNow: occ.start.toMillis() <= now.getTime(), opensAt: occ.start.toISO()! };
}

/** A change apply did not run because its window is closed. */
export interface DeferredChange {
  address: string;
  host: string;
  addon: string;
  action: Change['action'];
  window: string;
  timezone: string;
  because: string;
  /** Start of the next window, ISO 8601 with the zone's offset, and as a reader would say it. */
  opensAt: string;
  opensAtLocal: string;
}

/** Splits the plan's changes into those to run at `now` and those whose window is closed. */
export function deferredNow(plan: Plan, now: Date, ignoreWindows: boolean): { run: Change[]; deferred: DeferredChange[] } {
  const run: Change[] = [];
  const deferred: DeferredChange[] = [];
  for (const change of plan.changes) {
    const h = change.window;
    if (!h || ignoreWindows) {
      run.push(change);
      continue;
    }
    const spec = parseWindow(h.window);
    if (typeof spec === 'string') throw new Error(`plan change ${change.address}: maintenance window ${JSON.stringify(h.window)} ${spec}`);
    const occ = currentOrNextWindow(spec, h.timezone, now);
    if (occ.start.toMillis() <= now.getTime()) {
      run.push(change);
      continue;
    }
    const { address, host, addon, action } = change;
    deferred.push({ address, host, addon, action, window: h.window, timezone: h.timezone, because: h.because, opensAt: occ.start.toISO()!, opensAtLocal: localTime(occ.start) });
  }
  return { run, deferred };
}

/** "deferred to the window starting Sun 2026-03-29 03:00 CEST (sun 03:00-05:00 Europe/Paris)". */
export function deferralText(d: Pick<DeferredChange, 'opensAtLocal' | 'window' | 'timezone'>): string {
  return `deferred to the window starting ${d.opensAtLocal} (${d.window} ${d.timezone})`;
}

/** How a plan names a held change's window: open now, or when it opens. */
export function holdText(h: WindowHold): string {
  const at = localTime(DateTime.fromISO(h.opensAt, { zone: h.timezone }));
  const when = h.openNow ? `the window is open now (since ${at}): applies now` : `waits for the window starting ${at}`;
  return `maintenance window ${h.window} ${h.timezone}: ${when} (${h.because})`;
}
