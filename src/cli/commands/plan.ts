import type { RenderFormat } from '../../render/index.js';
import { render } from '../../render/index.js';
import { computePlan } from '../compute-plan.js';
import { err, out, useColor } from '../output.js';
import { writePlanFile } from '../plan-file.js';
import { openSession, reportHostErrors } from '../session.js';

export interface PlanOptions {
  file: string;
  out?: string;
  format: RenderFormat;
  detailedExitcode: boolean;
}

export async function planCommand(opts: PlanOptions): Promise<number> {
  const session = await openSession(opts.file, (m) => err(`Warning: ${m}`));
  try {
    const { plan } = await computePlan(session);
    out(render(plan, opts.format, { color: useColor() }));
    if (opts.out) {
      writePlanFile(opts.out, plan);
      err(`Saved the plan to ${opts.out}; apply exactly it with: dbform apply ${opts.out}`);
    }
    if (session.hostErrors.size) {
      reportHostErrors(session, err);
      return 1;
    }
    return opts.detailedExitcode && plan.changes.length > 0 ? 2 : 0;
  } finally {
    await session.close();
  }
}
