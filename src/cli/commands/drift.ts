import type { Config } from '../../config/types.js';
import { loadConfig } from '../../config/load.js';
import type { Plan } from '../../plan/types.js';
import type { RenderFormat } from '../../render/index.js';
import { render } from '../../render/index.js';
import { staleBackups } from '../../resources/backups/freshness.js';
import { brokenPitr } from '../../resources/pitr/health.js';
import { isDiskFullWarning } from '../../resources/diskguard/diff.js';
import { overdueDrills } from '../../drill/freshness.js';
import { computePlan } from '../compute-plan.js';
import { err, out, useColor, warn } from '../terminal.js';
import { openConfigSession, reportHostErrors } from '../session.js';

// The scheduled check: the same gather and diff as plan, never a lock, never a change, plus the age of
// each add-on's last good backup (and of its last successful restore drill, once it is drilled). checkDrift
// does the work and returns data (the GitHub Action calls it too); driftCommand prints a report (markdown by
// default, for an issue or a chat message).

/** What the exit code tells: `in-sync` 0; `drifted` (changes, late backups, or an add-on read-only with a full disk) 2; `incomplete` (a host could not be checked) 1. */
export type DriftStatus = 'in-sync' | 'drifted' | 'incomplete';

export const DRIFT_EXIT_CODES: Readonly<Record<DriftStatus, 0 | 1 | 2>> = { 'in-sync': 0, drifted: 2, incomplete: 1 };

export interface DriftResult {
  /** The plan that would repair the drift; its warnings include the late backups. */
  plan: Plan;
  /** Add-ons whose backups are late or cannot be listed, whose point-in-time recovery is broken, or whose last
   *  successful restore drill is too old, one sentence each. */
  lateBackups: string[];
  /** Hosts that could not be checked, and why. */
  hostErrors: Map<string, string>;
  status: DriftStatus;
}

export async function checkDrift(config: Config, warnings: (message: string) => void): Promise<DriftResult> {
  const session = await openConfigSession(config, warnings);
  try {
    const { plan } = await computePlan(session);
    const lateBackups = [
      ...(await staleBackups(session.config, session.hosts)),
      ...(await brokenPitr(session.config, session.hosts)),
      ...(await overdueDrills(session.config, session.hosts)),
    ];
    plan.warnings.push(...lateBackups);
    const hostErrors = new Map(session.hostErrors);
    // An add-on made read-only by its disk-full guard is no change to plan, but needs a person, as late backups do.
    const diskFull = plan.warnings.some(isDiskFullWarning);
    const drifted = plan.changes.length > 0 || lateBackups.length > 0 || diskFull;
    return { plan, lateBackups, hostErrors, status: hostErrors.size ? 'incomplete' : drifted ? 'drifted' : 'in-sync' };
  } finally {
    await session.close();
  }
}

export interface DriftOptions {
  file: string;
  format: RenderFormat;
}

export async function driftCommand(opts: DriftOptions): Promise<number> {
  const result = await checkDrift(loadConfig(opts.file), warn);
  if (result.status === 'in-sync') {
    out(opts.format === 'json' ? render(result.plan, 'json') : 'No drift: the live state matches the file.');
  } else {
    out(render(result.plan, opts.format, { color: useColor() }));
    reportHostErrors(result, err);
  }
  return DRIFT_EXIT_CODES[result.status];
}
