import { createInterface } from 'node:readline/promises';
import { Chalk } from 'chalk';
import { applyPlan, type ApplyHooks, type HostResult } from '../../apply/apply.js';
import { acquireHostLock, currentHolder, type HostLock } from '../../hosts/lock.js';
import { checkHazards, parseAllowedHazards } from '../../apply/gate.js';
import { render } from '../../render/index.js';
import { summarize } from '../../plan/types.js';
import { pruneBackups, storeFor } from '../../backups/service.js';
import { backupsEnabled } from '../../backups/settings.js';
import { planFingerprint } from '../../plan/fingerprint.js';
import { UserError } from '../../util/errors.js';
import { computePlan } from '../compute-plan.js';
import { err, out, useColor } from '../output.js';
import { readPlanFile } from '../plan-file.js';
import { dropHost, openSession, type Session } from '../session.js';

export interface ApplyOptions {
  file: string;
  planFile?: string;
  autoApprove: boolean;
  allowHazards?: string;
  lockTimeoutSeconds: number;
  /** Refuse unless the fresh plan is exactly this one (planFingerprint), e.g. the plan a pull request showed. */
  expectFingerprint?: string;
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

function hooks(color: boolean): ApplyHooks {
  const c = new Chalk({ level: color ? 1 : 0 });
  return {
    start: (ch) => out(`${ch.address}: ${ch.action === 'delete' ? 'deleting' : ch.action === 'create' ? 'creating' : 'updating'}...`),
    done: (ch, ms) => out(`${ch.address}: ${c.green('done')} (${(ms / 1000).toFixed(1)}s)`),
    failed: (ch, e) => out(`${ch.address}: ${c.red('failed')}: ${e.message}`),
    skipped: (ch, why) => out(`${ch.address}: skipped (${why})`),
    progress: (host, m) => out(`  [${host}] ${m}`),
  };
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

function printSummary(results: HostResult[], session: Session): boolean {
  out('');
  for (const r of results) {
    out(`host ${r.host}: ${r.applied} applied, ${r.failed} failed, ${r.skipped} skipped`);
    for (const e of r.errors) out(`  ${e}`);
  }
  for (const [host, reason] of [...session.hostErrors].sort(([a], [b]) => a.localeCompare(b))) {
    out(`host ${host}: not applied: ${reason}`);
  }
  return results.some((r) => r.failed > 0) || session.hostErrors.size > 0;
}

export async function applyCommand(opts: ApplyOptions): Promise<number> {
  const allowed = parseAllowedHazards(opts.allowHazards);
  const saved = opts.planFile ? readPlanFile(opts.planFile) : undefined;
  const session = await openSession(opts.file, (m) => err(`Warning: ${m}`));
  // Locks are taken before gathering, so the plan applied is the plan computed under the lock.
  const locks = await lockHosts(session, opts.lockTimeoutSeconds);
  try {
    if (saved && saved.config.sha256 !== session.config.sha256) {
      throw new UserError(`saved plan ${opts.planFile} is stale: ${opts.file} changed since it was made. Run dbform plan again.`);
    }
    const { plan: fresh } = await computePlan(session);
    if (saved && saved.observedFingerprint !== fresh.observedFingerprint) {
      throw new UserError(`saved plan ${opts.planFile} is stale: the live state changed since it was made. Run dbform plan again and review it.`);
    }
    if (opts.expectFingerprint && planFingerprint(fresh) !== opts.expectFingerprint) {
      throw new UserError(
        `apply refused: the plan is not the one that was reviewed (fingerprint ${planFingerprint(fresh)}, expected ${opts.expectFingerprint}). ` +
          'The live state or the file changed since; review a new plan.',
      );
    }
    const plan = saved ?? fresh;
    const color = useColor();
    if (!saved) out(render(plan, 'text', { color }));
    if (plan.changes.length === 0) {
      if (saved) out('No changes. The live state matches databases.yaml.');
      return printSummaryIfFailed(session);
    }
    checkHazards(plan, allowed);
    if (!saved && !opts.autoApprove && !(await confirm())) {
      err('Apply cancelled.');
      return 1;
    }
    const t0 = Date.now();
    const results = await applyPlan({ plan, hosts: session.hosts, keystores: session.keystores, ca: session.ca, hooks: hooks(color) });
    await pruneAfterApply(session);
    const failed = printSummary(results, session);
    const s = summarize(plan);
    const applied = results.reduce((n, r) => n + r.applied, 0);
    out(
      failed
        ? `Apply failed on ${[...results.filter((r) => r.failed).map((r) => r.host), ...session.hostErrors.keys()].join(', ')}; the other hosts were applied. Fix the cause and run apply again.`
        : `Apply complete: ${applied} change${applied === 1 ? '' : 's'} (${s.add} added, ${s.change} changed, ${s.destroy} destroyed) in ${((Date.now() - t0) / 1000).toFixed(1)}s.`,
    );
    return failed ? 1 : 0;
  } finally {
    await Promise.all(locks.map((l) => l.release().catch(() => undefined)));
    await session.close();
  }
}

/** Retention is applied on every apply (and after each manual backup); backups of removed add-ons stay. */
async function pruneAfterApply(session: Session): Promise<void> {
  for (const addon of session.config.addons.filter((a) => backupsEnabled(a) && session.hosts.has(a.host))) {
    try {
      const store = await storeFor(session.config, session.hosts, addon.name);
      for (const p of await pruneBackups(session.config, store, addon.name)) out(`addon.${addon.name}.backups: pruned ${p.id}: ${p.reason}`);
    } catch (e) {
      err(`Warning: add-on ${addon.name}: backups were not pruned: ${(e as Error).message}`);
    }
  }
}

function printSummaryIfFailed(session: Session): number {
  if (!session.hostErrors.size) return 0;
  printSummary([], session);
  return 1;
}
