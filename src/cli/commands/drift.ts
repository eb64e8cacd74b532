import type { RenderFormat } from '../../render/index.js';
import { render } from '../../render/index.js';
import { staleBackups } from '../../backups/freshness.js';
import { computePlan } from '../compute-plan.js';
import { err, out, useColor } from '../output.js';
import { openSession, reportHostErrors } from '../session.js';

export interface DriftOptions {
  file: string;
  format: RenderFormat;
}

// The scheduled check: the same gather and diff as plan, never a lock, never a change, plus the age of
// each add-on's last good backup. Exit 2 with a report (markdown by default, for an issue or a chat
// message) when the live state differs from the file or backups are late, 0 when all is well, 1 when a
// host could not be checked.
export async function driftCommand(opts: DriftOptions): Promise<number> {
  const session = await openSession(opts.file, (m) => err(`Warning: ${m}`));
  try {
    const { plan } = await computePlan(session);
    const backups = await staleBackups(session.config, session.hosts);
    plan.warnings.push(...backups);
    if (plan.changes.length === 0 && session.hostErrors.size === 0 && backups.length === 0) {
      out(opts.format === 'json' ? render(plan, 'json') : 'No drift: the live state matches the file.');
      return 0;
    }
    out(render(plan, opts.format, { color: useColor() }));
    if (session.hostErrors.size) {
      reportHostErrors(session, err);
      return 1;
    }
    return 2;
  } finally {
    await session.close();
  }
}
