// The versioned machine-readable plan. Field names are snake_case and stable: scripts and the GitHub
// Action parse this, so a breaking change must bump format_version. Steps are excluded: they are apply's
// business, and keeping them out lets their shape change without a new format version.

import { summarize, type Attrs, type Plan } from '../plan/types.js';
import { canonical } from './values.js';
import { windowJson } from './windows.js';

export const JSON_FORMAT_VERSION = '1.0';

export function renderJson(plan: Plan): string {
  const s = summarize(plan);
  const doc = {
    format_version: JSON_FORMAT_VERSION,
    config: { file: plan.config.file, sha256: plan.config.sha256 },
    observed_fingerprint: plan.observedFingerprint,
    summary: { add: s.add, change: s.change, destroy: s.destroy, hazards: s.hazards },
    // Built field by field (not spread) so that neither steps nor any future internal field leaks out.
    changes: plan.changes.map((c) => ({
      address: c.address,
      kind: c.kind,
      host: c.host,
      addon: c.addon,
      action: c.action,
      reason: c.reason,
      before: attrs(c.before),
      after: attrs(c.after),
      hazards: c.hazards.map((h) => ({ code: h.code, message: h.message })),
      // Only on changes that have one (a file edited by hand), so plans without one keep their bytes.
      ...(c.fileDiff ? { file_diff: { file: c.fileDiff.file, lines: [...c.fileDiff.lines], omitted: c.fileDiff.omitted } } : {}),
      // Only on changes that wait for a maintenance window.
      ...windowJson(c),
    })),
    warnings: [...plan.warnings],
    // Only in plans that have notes (each highly available member's role and lag).
    ...(plan.notes?.length ? { notes: [...plan.notes] } : {}),
    // Present even when empty, so a script can tell "no changes" from "no changes on the hosts read".
    hosts_not_read: plan.hostsNotRead.map((h) => ({ host: h.host, reason: h.reason })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** Sorted keys, so the bytes do not depend on the order the plan's objects were built in. */
function attrs(a: Attrs | null): Attrs | null {
  return a === null ? null : (canonical(a) as Attrs);
}
