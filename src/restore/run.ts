import type { ApplyHooks } from '../apply/apply.js';
import { makeContext } from '../apply/apply.js';
import { runSteps } from '../apply/converge.js';
import { refusedHazards, type RefusedHazard } from '../apply/gate.js';
import type { Config } from '../config/types.js';
import { acquireHostLock, currentHolder } from '../hosts/lock.js';
import { instancePlacements } from '../plan/build.js';
import type { Change, HazardCode, Plan } from '../plan/types.js';
import { listBackups, readBackup, storeFor } from '../resources/backups/service.js';
import { CONVERGE_KIND, KINDS } from '../resources/registry.js';
import type { DesiredAddon } from '../resources/model.js';
import { UserError } from '../util/errors.js';
import { openConfigSession, type Session } from '../cli/session.js';
import { RESTORE_EXECUTORS, type RestoreContext } from './executors.js';
import { gatherTarget } from './gather.js';
import { pickRestorableBackup } from './pick.js';
import { buildRestorePlan } from './plan.js';

// `restore` as data, like applyFleet: checks the names against the file before contacting anything, locks
// the target's host, reads the backup list and the target, plans, gates the hazards, asks, and runs the
// plan's steps. The CLI prints what it returns.

export interface RestoreRequest {
  config: Config;
  /** The add-on whose backup is restored. */
  addon: string;
  backupId: string;
  /** Restore into this add-on instead of in place. */
  into?: string;
  dropPrevious: boolean;
  allowed: Set<HazardCode>;
  lockTimeoutSeconds: number;
  warn(message: string): void;
  events: ApplyHooks & { planned?(plan: Plan): void };
  /** Asked once the plan passed the hazard gate, with the lock held; false cancels. Absent: approved. */
  approve?(plan: Plan): Promise<boolean>;
}

export type RestoreResult =
  | { status: 'refused'; plan: Plan; hazards: RefusedHazard[] }
  | { status: 'cancelled'; plan: Plan }
  | { status: 'restored'; plan: Plan; ms: number }
  /** `dataRestored`: the swap was done and a later step failed (the convergence, dropping the previous data). */
  | { status: 'failed'; plan: Plan; ms: number; error: string; dataRestored: boolean };

/** Pure: the add-on written to, checked against the file before any host or storage is contacted. */
export function restoreTarget(config: Config, addon: string, into: string | undefined): string {
  const declared = config.addons.map((a) => a.name);
  const list = declared.length ? ` (declared: ${declared.join(', ')})` : '';
  if (into !== undefined && !declared.includes(into)) {
    throw new UserError(`--into ${into}: no add-on named ${into} in ${config.file}${list}. Declare it there and run dbform apply first`);
  }
  // Backups of an add-on removed from the file can still be restored into another one.
  if (into === undefined && !declared.includes(addon)) throw new UserError(`no add-on named ${addon} in ${config.file}${list}`);
  return into ?? addon;
}

export async function restoreFleet(req: RestoreRequest): Promise<RestoreResult> {
  const target = restoreTarget(req.config, req.addon, req.into);
  const session = await openConfigSession(req.config, req.warn);
  try {
    const desired = instancePlacements(session.desired, KINDS).find((p) => p.addon === target)!.desired;
    const host = session.hosts.get(desired.host);
    if (!host) throw new UserError(`host ${desired.host} of ${target} cannot be reached: ${session.hostErrors.get(desired.host) ?? 'unknown error'}`);
    const lock = await acquireHostLock(host, currentHolder(), req.lockTimeoutSeconds);
    try {
      return await restoreLocked(session, req, desired);
    } finally {
      await lock.release().catch(() => undefined);
    }
  } finally {
    await session.close();
  }
}

async function restoreLocked(session: Session, req: RestoreRequest, target: DesiredAddon): Promise<RestoreResult> {
  const store = await storeFor(session.config, session.hosts, req.addon);
  const manifests = await listBackups(store, req.addon);
  if (!manifests.length && !session.config.addons.some((a) => a.name === req.addon)) {
    throw new UserError(`no add-on named ${req.addon} in ${session.config.file}, and ${store.description} holds no backups of it`);
  }
  const backup = pickRestorableBackup(manifests, req.backupId, req.addon, store.description);
  const observed = await gatherTarget(session.hosts.get(target.host)!, session.keystores.get(target.host)!, target);
  const plan = buildRestorePlan({
    config: session.config,
    source: req.addon,
    backup,
    target,
    observed,
    now: new Date(),
    dropPrevious: req.dropPrevious,
  });
  req.events.planned?.(plan);
  const hazards = refusedHazards(plan, req.allowed);
  if (hazards.length) return { status: 'refused', plan, hazards };
  if (req.approve && !(await req.approve(plan))) return { status: 'cancelled', plan };
  const t0 = Date.now();
  const { ctx, close } = makeContext({ plan, hosts: session.hosts, keystores: session.keystores, ca: session.ca, hooks: req.events }, target.host);
  const rctx: RestoreContext = {
    ...ctx,
    readBackup: (addon, id, sink) => {
      if (addon !== req.addon || id !== backup.id) return Promise.reject(new Error(`plan step names backup ${id} of ${addon}, not the one planned`));
      return readBackup(store, session.masterKey, backup, sink);
    },
  };
  const change = plan.changes[0]!;
  try {
    await runChange(change, rctx, req.events);
    return { status: 'restored', plan, ms: Date.now() - t0 };
  } catch (err) {
    return { status: 'failed', plan, ms: Date.now() - t0, error: (err as Error).message, dataRestored: err instanceof AfterSwapError };
  } finally {
    await close();
  }
}

class AfterSwapError extends Error {}

/** The change's steps in order: the restore's own executors, and apply's for SQL and convergence. */
async function runChange(change: Change, ctx: RestoreContext, hooks: ApplyHooks): Promise<void> {
  const t0 = Date.now();
  hooks.start(change);
  let swapped: string | undefined;
  try {
    for (const step of change.steps) {
      const own = RESTORE_EXECUTORS[step.type];
      if (own) await own(step, ctx);
      else {
        if (step.type === `${CONVERGE_KIND}.converge`) ctx.progress('converging users, database owner, grants and extensions with the file');
        await runSteps([step], ctx);
      }
      if (step.type === 'restore.swap') swapped = String(step.previous);
    }
  } catch (err) {
    // After the swap the data is restored: what failed later is said as such, not as a failed restore.
    const e = swapped
      ? new AfterSwapError(`the data is restored (the previous data is database ${swapped}), but what followed failed: ${(err as Error).message}. Run dbform plan`)
      : (err as Error);
    hooks.failed(change, e);
    throw e;
  }
  hooks.done(change, Date.now() - t0);
}
