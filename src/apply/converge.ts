import type { AnyKind, Placed } from '../resources/kind.js';
import type { DesiredAddon } from '../resources/model.js';
import { singleInstancePlacements } from '../resources/desired.js';
import type { HostReader, InstanceState } from '../resources/reader.js';
import { EXECUTORS, KINDS } from '../resources/registry.js';
import { gatherCatalog } from '../resources/instance/catalog.js';
import type { Step } from '../plan/types.js';
import type { ApplyContext, Executor } from './context.js';
import { field } from './context.js';

// "Known after apply": an instance that was not running when the plan was made is read now that it
// runs, and the instance kinds' changes are diffed and applied in the same run, so that one apply always
// converges and the next plan is empty. The step carries the add-on's in-instance desired state (no
// secret in it); the instance is read with the same gather functions as a plan, through this reader.

/** Instance kinds read only the instance and secrets; the host's name is all they see of the host. */
function readerAt(ctx: ApplyContext, desired: DesiredAddon): HostReader {
  const unavailable = (what: string) => () => Promise.reject(new Error(`${what} is not read while converging an instance`));
  let instance: Promise<InstanceState> | undefined;
  return {
    host: { name: ctx.host.name, transport: 'local', dataDir: '' },
    containers: unavailable('the host\'s containers'),
    fileHash: unavailable('a file\'s hash'),
    fileExists: unavailable('a file'),
    fileValues: unavailable('a settings file'),
    backups: unavailable('the backups'),
    volume: unavailable('a volume'),
    secret: (key) => ctx.keystore.get(key),
    instance: () => (instance ??= gatherCatalog((db) => ctx.pg(desired.name, db), desired).then((read) => ({ state: 'running' as const, ...read }))),
  };
}

const converge: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const desired = field<DesiredAddon>(step, 'desired', 'object');
  if (desired.name !== addon) throw new Error('plan step instance.converge: desired state of another add-on');
  const placed: Placed<DesiredAddon> = { key: addon, host: ctx.host.name, addon, desired };
  const read = readerAt(ctx, desired);
  const changes = [];
  // A highly available add-on's TLS, pg_hba and replication are Patroni's: only the kinds that place it too
  // (users, database, grants, extensions) converge it, as in its plans.
  const placesIt = (k: AnyKind) => !desired.ha || k.desired !== singleInstancePlacements;
  for (const kind of KINDS.filter((k) => k.reads === 'instance' && placesIt(k))) changes.push(...kind.diff(placed, await kind.gather(read, placed)));
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
