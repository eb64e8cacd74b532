// The lines apply prints, from its events and its result: the CLI prints them as they happen, the GitHub
// Action also puts them in the comment on the pull request. Pure: printing is the caller's `print`.

import { Chalk, type ChalkInstance } from 'chalk';
import type { ApplyHooks } from '../apply/apply.js';
import { changeOutcome, type ApplyRun, type ChangeOutcome } from '../apply/result.js';
import { summarize, type Change } from '../plan/types.js';
import { deferralText } from '../maintenance/hold.js';

const VERB = { delete: 'deleting', create: 'creating', update: 'updating', replace: 'updating' } as const;

export function startLine(ch: Pick<Change, 'address' | 'action'>): string {
  return `${ch.address}: ${VERB[ch.action]}...`;
}

export function outcomeLine(o: ChangeOutcome, c: ChalkInstance = new Chalk({ level: 0 })): string {
  if (o.status === 'applied') return `${o.address}: ${c.green('done')} (${(o.ms / 1000).toFixed(1)}s)`;
  if (o.status === 'failed') return `${o.address}: ${c.red('failed')}: ${o.error}`;
  return `${o.address}: skipped (${o.because})`;
}

/** Hooks that print each event as a line, as it happens. */
export function printingHooks(print: (line: string) => void, color: boolean): ApplyHooks {
  const c = new Chalk({ level: color ? 1 : 0 });
  return {
    start: (ch) => print(startLine(ch)),
    done: (ch, ms) => print(outcomeLine(changeOutcome(ch, { status: 'applied', ms }), c)),
    failed: (ch, e) => print(outcomeLine(changeOutcome(ch, { status: 'failed', error: e.message }), c)),
    skipped: (ch, because) => print(outcomeLine(changeOutcome(ch, { status: 'skipped', because }), c)),
    progress: (host, m) => print(`  [${host}] ${m}`),
  };
}

/** After a blank line: each host's counts and errors, then the hosts left out of the run, by name. */
export function hostSummaryLines(result: Pick<ApplyRun, 'hosts' | 'hostErrors'>): string[] {
  const lines = [''];
  for (const r of result.hosts) {
    lines.push(`host ${r.host}: ${r.applied} applied, ${r.failed} failed, ${r.skipped} skipped`);
    for (const e of r.errors) lines.push(`  ${e}`);
  }
  for (const [host, reason] of [...result.hostErrors].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`host ${host}: not applied: ${reason}`);
  }
  return lines;
}

/** Each change left for its maintenance window, and when that window starts. */
export function deferredLines(result: Pick<ApplyRun, 'deferred'>): string[] {
  return result.deferred.map((d) => `${d.address}: ${deferralText(d)}: ${d.because}`);
}

/** The last line of an apply: what was done, or which hosts failed and what to do. */
export function applyVerdict(result: ApplyRun): string {
  const n = result.deferred.length;
  const later = n ? ` ${n} change${n === 1 ? ' waits' : 's wait'} for a maintenance window (listed above).` : '';
  if (result.status === 'failed') {
    const hosts = [...result.hosts.filter((r) => r.failed).map((r) => r.host), ...result.hostErrors.keys()];
    return `Apply failed on ${hosts.join(', ')}; the other hosts were applied. Fix the cause and run apply again.${later}`;
  }
  const deferred = new Set(result.deferred.map((d) => d.address));
  const s = summarize({ ...result.plan, changes: result.plan.changes.filter((c) => !deferred.has(c.address)) });
  const applied = result.hosts.reduce((n, r) => n + r.applied, 0);
  return `Apply complete: ${applied} change${applied === 1 ? '' : 's'} (${s.add} added, ${s.change} changed, ${s.destroy} destroyed) in ${(result.ms / 1000).toFixed(1)}s.${later}`;
}

/** The whole run after the fact, without colour: each change's outcome, the host summary, the verdict. */
export function applyLog(result: ApplyRun): string {
  return [...result.changes.map((o) => outcomeLine(o)), ...hostSummaryLines(result), ...deferredLines(result), applyVerdict(result)].join('\n') + '\n';
}
