import { gatherCatalog } from '../resources/catalog/gather.js';
import { EXECUTORS, KINDS } from '../resources/registry.js';
import type { Step } from '../plan/types.js';
import type { ApplyContext, Executor } from './context.js';
import { field } from './context.js';

// "Known after apply": an instance that was not running when the plan was made is read now that it
// runs, and its users, database and grants are diffed and applied in the same run, so that one apply
// always converges and the next plan is empty.
const converge: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const desired = ctx.desired(addon);
  const catalog = await gatherCatalog((db) => ctx.pg(addon, db), desired);
  const observed = { container: null, catalog, dataInitialized: true, backupFiles: {} };
  const changes = KINDS.filter((k) => k.inInstance).flatMap((k) => k.diff(desired, observed));
  // Hazardous changes were not reviewed (the plan could not show them): leave them to the next plan.
  const hazardous = changes.filter((c) => c.hazards.length);
  for (const change of changes.filter((c) => !c.hazards.length)) {
    ctx.progress(`${change.address}: ${change.reason}`);
    await runSteps(change.steps, ctx);
  }
  if (hazardous.length) {
    throw new Error(
      `now that ${addon} runs, plan shows hazardous changes that were not reviewed (${hazardous.map((c) => c.address).join(', ')}): run dbform plan and apply again`,
    );
  }
};

const ALL: Record<string, Executor> = { ...EXECUTORS, 'instance.converge': converge };

export async function runSteps(steps: Step[], ctx: ApplyContext): Promise<void> {
  for (const step of steps) {
    const exec = ALL[step.type];
    if (!exec) throw new Error(`unknown step type ${step.type} (plan made by another dbform version?)`);
    await exec(step, ctx);
  }
}
