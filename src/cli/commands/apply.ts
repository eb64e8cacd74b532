import { createInterface } from 'node:readline/promises';
import { Chalk } from 'chalk';
import { applyPlan, type ApplyHooks } from '../../apply/apply.js';
import { checkHazards, parseAllowedHazards } from '../../apply/gate.js';
import { render } from '../../render/index.js';
import { summarize } from '../../plan/types.js';
import { UserError } from '../../util/errors.js';
import { computePlan } from '../compute-plan.js';
import { err, out, useColor } from '../output.js';
import { readPlanFile } from '../plan-file.js';
import { openSession } from '../session.js';

export interface ApplyOptions {
  file: string;
  planFile?: string;
  autoApprove: boolean;
  allowHazards?: string;
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

export async function applyCommand(opts: ApplyOptions): Promise<number> {
  const allowed = parseAllowedHazards(opts.allowHazards);
  const saved = opts.planFile ? readPlanFile(opts.planFile) : undefined;
  const session = await openSession(opts.file, (m) => err(`Warning: ${m}`));
  try {
    if (saved && saved.config.sha256 !== session.config.sha256) {
      throw new UserError(`saved plan ${opts.planFile} is stale: ${opts.file} changed since it was made. Run dbform plan again.`);
    }
    const { plan: fresh, desired } = await computePlan(session);
    if (saved && saved.observedFingerprint !== fresh.observedFingerprint) {
      throw new UserError(`saved plan ${opts.planFile} is stale: the live state changed since it was made. Run dbform plan again and review it.`);
    }
    const plan = saved ?? fresh;
    const color = useColor();
    if (!saved) out(render(plan, 'text', { color }));
    if (plan.changes.length === 0) {
      if (saved) out('No changes. The live state matches databases.yaml.');
      return 0;
    }
    checkHazards(plan, allowed);
    if (!saved && !opts.autoApprove && !(await confirm())) {
      err('Apply cancelled.');
      return 1;
    }
    const t0 = Date.now();
    const results = await applyPlan({ plan, hosts: session.hosts, keystores: session.keystores, desired, hooks: hooks(color) });
    const s = summarize(plan);
    const failed = results.filter((r) => r.failed > 0);
    const applied = results.reduce((n, r) => n + r.applied, 0);
    out('');
    for (const r of results) {
      out(`host ${r.host}: ${r.applied} applied, ${r.failed} failed, ${r.skipped} skipped`);
      for (const e of r.errors) out(`  ${e}`);
    }
    out(
      failed.length
        ? `Apply failed on ${failed.map((r) => r.host).join(', ')}; the other hosts were applied. Fix the cause and run apply again.`
        : `Apply complete: ${applied} change${applied === 1 ? '' : 's'} (${s.add} added, ${s.change} changed, ${s.destroy} destroyed) in ${((Date.now() - t0) / 1000).toFixed(1)}s.`,
    );
    return failed.length ? 1 : 0;
  } finally {
    await session.close();
  }
}
