// How the renderers show the changes that wait for a maintenance window, read from plan data only
// (Change.window). Kept apart from each renderer's layout: one line per change, one block per plan.

import { holdText } from '../maintenance/hold.js';
import type { Change, Plan } from '../plan/types.js';
import { escapeInline } from './markdown-escape.js';

/** The text renderer's line under a held change. */
export function windowLine(change: Change): string | undefined {
  return change.window ? `@ ${holdText(change.window)}` : undefined;
}

/** The markdown block listing held changes, or undefined when none waits. */
export function windowBlock(plan: Plan): string | undefined {
  const held = plan.changes.filter((c) => c.window);
  if (held.length === 0) return undefined;
  const items = held.map((c) => `- :alarm_clock: ${escapeInline(c.address)}: ${escapeInline(holdText(c.window!))}`);
  return ['**Maintenance windows.** These changes run only inside their add-on\'s window (`dbform apply --ignore-window` runs them at once):', '', ...items].join('\n');
}

/** The JSON plan's field of a held change. */
export function windowJson(change: Change): Record<string, unknown> {
  const h = change.window;
  if (!h) return {};
  return { maintenance_window: { window: h.window, timezone: h.timezone, because: h.because, open_now: h.openNow, opens_at: h.opensAt } };
}
