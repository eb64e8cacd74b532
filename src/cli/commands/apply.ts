import { createInterface } from 'node:readline/promises';
import { applyPlan, type ApplyHooks } from '../../apply/apply.js';
import { acquireHostLock, currentHolder, type HostLock } from '../../hosts/lock.js';
import { hazardRefusalMessage, parseAllowedHazards, refusedHazards } from '../../apply/gate.js';
import { applyExitCode, recordOutcomes, type ApplyRefusal, type ApplyResult, type ChangeOutcome } from '../../apply/result.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/types.js';
import { render } from '../../render/index.js';
import { noChangesText } from '../../render/text.js';
import { applyVerdict, deferredLines, hostSummaryLines, printingHooks } from '../../render/apply-text.js';
import { summarize, type HazardCode, type Plan } from '../../plan/types.js';
import { planFingerprint } from '../../plan/fingerprint.js';
import { UserError } from '../../util/errors.js';
import { computePlan } from '../compute-plan.js';
import { deferredNow } from '../../maintenance/hold.js';
import { err, out, useColor, warn } from '../terminal.js';
import { readPlanFile } from '../plan-file.js';
import { dropHost, openConfigSession, type Session } from '../session.js';

// `apply` in two layers: applyFleet does the work and returns what happened as data (the GitHub Action
// calls it too); applyCommand prints it, asks for the confirmation, and turns it into the exit code.

export interface ApplyRequest {
  config: Config;
  /** A saved plan (`plan --out`): applied exactly, if the file and the live state are still the ones it saw. */
  saved?: Plan;
  allowed: Set<HazardCode>;
  lockTimeoutSeconds: number;
  /** Refuse unless the fresh plan is exactly this one (planFingerprint), e.g. the plan a pull request showed. */
  expectFingerprint?: string;
  warn(message: string): void;
  /** Each change as it runs; `planned` gets the fresh plan once it passed the checks (never a saved plan). */
  events: ApplyHooks & { planned?(plan: Plan): void };
  /** Asked once the plan passed every check, with the host locks held; false cancels. Absent: approved. */
  approve?(plan: Plan): Promise<boolean>;
  /** Run changes that wait for a maintenance window even when it is closed (--ignore-window). */
  ignoreWindows?: boolean;
  /** Only the changes that wait for a window (the scheduled run of the GitHub Action); the others are left. */
  onlyHeld?: boolean;
  /** The clock windows are judged against (tests); default: now. */
  now?: Date;
}

/** Locks the hosts, plans under the locks, checks the plan, and applies it (then prunes backups). */
export async function applyFleet(req: ApplyRequest): Promise<ApplyResult> {
  const session = await openConfigSession(req.config, req.warn);
  // Locks are taken before gathering, so the plan applied is the plan computed under the lock.
  const locks = await lockHosts(session, req.lockTimeoutSeconds);
  try {
    return await applyLocked(session, req);
  } finally {
    await Promise.all(locks.map((l) => l.release().catch(() => undefined)));
    await session.close();
  }
}

async function applyLocked(session: Session, req: ApplyRequest): Promise<ApplyResult> {
  const hostErrors = () => new Map(session.hostErrors);
  const { saved } = req;
  if (saved && saved.config.sha256 !== session.config.sha256) return { status: 'refused', refusal: { reason: 'stale-config' }, hostErrors: hostErrors() };
  const { plan: fresh } = await computePlan(session);
  const stale = freshnessRefusal(fresh, req);
  if (stale) return { status: 'refused', refusal: stale, plan: fresh, hostErrors: hostErrors() };
  const plan = req.onlyHeld ? heldOnly(saved ?? fresh, req.warn) : (saved ?? fresh);
  if (!saved) req.events.planned?.(plan);
  if (plan.changes.length === 0) return { status: 'no-changes', plan, hostErrors: hostErrors() };
  const hazards = refusedHazards(plan, req.allowed);
  if (hazards.length) {
    return { status: 'refused', refusal: { reason: 'hazards', hazards, allowWith: summarize(plan).hazards }, plan, hostErrors: hostErrors() };
  }
  if (req.approve && !(await req.approve(plan))) return { status: 'cancelled', plan, hostErrors: hostErrors() };
  const t0 = Date.now();
  const changes: ChangeOutcome[] = [];
  // Changes whose maintenance window is closed are not run: the plan's other steps are.
  const { run, deferred } = deferredNow(plan, req.now ?? new Date(), req.ignoreWindows ?? false);
  const hooks = recordOutcomes(req.events, changes);
  const hosts = await applyPlan({ plan: { ...plan, changes: run }, hosts: session.hosts, keystores: session.keystores, ca: session.ca, hooks });
  const failed = hosts.some((r) => r.failed > 0) || session.hostErrors.size > 0;
  return { status: failed ? 'failed' : 'applied', plan, changes, hosts, hostErrors: hostErrors(), ms: Date.now() - t0, deferred };
}

/** The changes that wait for a window; the others are named in a warning and left alone. */
function heldOnly(plan: Plan, warn: (m: string) => void): Plan {
  const left = plan.changes.filter((c) => !c.window);
  if (left.length) warn(`${left.length} change(s) that wait for no maintenance window are left for apply on merge: ${left.map((c) => c.address).join(', ')}`);
  return { ...plan, changes: plan.changes.filter((c) => c.window) };
}

/** A saved plan whose live state moved, or a plan that is not the reviewed one. */
function freshnessRefusal(fresh: Plan, req: ApplyRequest): ApplyRefusal | undefined {
  if (req.saved && req.saved.observedFingerprint !== fresh.observedFingerprint) return { reason: 'stale-live' };
  const actual = planFingerprint(fresh);
  if (req.expectFingerprint && actual !== req.expectFingerprint) return { reason: 'not-reviewed', expected: req.expectFingerprint, actual };
  return undefined;
}

async function lockHosts(session: Session, timeoutSeconds: number): Promise<HostLock[]> {
  const holder = currentHolder();
  const names = [...session.hosts.keys()];
  const results = await Promise.allSettled(names.map((h) => acquireHostLock(session.hosts.get(h)!, holder, timeoutSeconds)));
  const locks: HostLock[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') locks.push(r.value);
    else dropHost(session, names[i]!, (r.reason as Error).message);
  });
  return locks;
}

export interface ApplyOptions {
  file: string;
  planFile?: string;
  autoApprove: boolean;
  allowHazards?: string;
  lockTimeoutSeconds: number;
  /** Refuse unless the fresh plan is exactly this one (planFingerprint), e.g. the plan a pull request showed. */
  expectFingerprint?: string;
  ignoreWindow?: boolean;
}

async function confirm(): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new UserError('apply needs a confirmation and there is no terminal to ask: pass --auto-approve, or apply a saved plan file');
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question('Apply these changes? Only "yes" is accepted: ');
  rl.close();
  return answer.trim() === 'yes';
}

export async function applyCommand(opts: ApplyOptions): Promise<number> {
  const allowed = parseAllowedHazards(opts.allowHazards);
  const saved = opts.planFile ? readPlanFile(opts.planFile) : undefined;
  const color = useColor();
  const result = await applyFleet({
    config: loadConfig(opts.file),
    saved,
    allowed,
    lockTimeoutSeconds: opts.lockTimeoutSeconds,
    expectFingerprint: opts.expectFingerprint,
    warn,
    events: { ...printingHooks(out, color), planned: (plan) => out(render(plan, 'text', { color })) },
    approve: saved || opts.autoApprove ? undefined : confirm,
    ignoreWindows: opts.ignoreWindow ?? false,
  });
  switch (result.status) {
    case 'refused':
      throw new UserError(refusalMessage(result.refusal, opts));
    case 'cancelled':
      err('Apply cancelled.');
      break;
    case 'no-changes':
      if (saved) out(noChangesText(result.plan));
      if (result.hostErrors.size) hostSummaryLines({ hosts: [], hostErrors: result.hostErrors }).forEach((l) => out(l));
      break;
    default:
      [...hostSummaryLines(result), ...deferredLines(result), applyVerdict(result)].forEach((l) => out(l));
  }
  return applyExitCode(result);
}

function refusalMessage(refusal: ApplyRefusal, opts: ApplyOptions): string {
  switch (refusal.reason) {
    case 'stale-config':
      return `saved plan ${opts.planFile} is stale: ${opts.file} changed since it was made. Run dbform plan again.`;
    case 'stale-live':
      return `saved plan ${opts.planFile} is stale: the live state changed since it was made. Run dbform plan again and review it.`;
    case 'not-reviewed':
      return (
        `apply refused: the plan is not the one that was reviewed (fingerprint ${refusal.actual}, expected ${refusal.expected}). ` +
        'The live state or the file changed since; review a new plan.'
      );
    case 'hazards':
      return hazardRefusalMessage(refusal.hazards, `run again with --allow-hazards ${refusal.allowWith.join(',')}`);
  }
}

