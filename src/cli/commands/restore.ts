import { createInterface } from 'node:readline/promises';
import { parseAllowedHazards } from '../../apply/gate.js';
import { loadConfig } from '../../config/load.js';
import { render } from '../../render/index.js';
import { printingHooks } from '../../render/apply-text.js';
import type { RefusedHazard } from '../../apply/gate.js';
import { restoreFleet } from '../../restore/run.js';
import { UserError } from '../../util/errors.js';
import { err, out, useColor, warn } from '../terminal.js';

// `dbform restore`: prints the restore's plan, refuses hazards that were not allowed (naming the flag),
// asks for "yes", runs it, and says what was restored and what was kept. The work is restore/run.ts's.

export interface RestoreOptions {
  file: string;
  /** The add-on whose backup is restored. */
  addon: string;
  backup: string;
  into?: string;
  autoApprove: boolean;
  allowHazards?: string;
  dropPrevious: boolean;
  lockTimeoutSeconds: number;
}

async function confirm(): Promise<boolean> {
  if (!process.stdin.isTTY) throw new UserError('restore needs a confirmation and there is no terminal to ask: pass --auto-approve');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question('Restore? Only "yes" is accepted: ');
  rl.close();
  return answer.trim() === 'yes';
}

function refusal(hazards: RefusedHazard[]): string {
  const codes = [...new Set(hazards.map((h) => h.code))];
  const lines = hazards.map((h) => `  ${h.address}: ${h.code}: ${h.message}`);
  return `restore refused: it overwrites data and ${codes.join(', ')} was not allowed:\n${lines.join('\n')}\nNothing was changed. Review it, then run again with --allow-hazards ${codes.join(',')}`;
}

export async function restoreCommand(opts: RestoreOptions): Promise<number> {
  const allowed = parseAllowedHazards(opts.allowHazards);
  const color = useColor();
  const result = await restoreFleet({
    config: loadConfig(opts.file),
    addon: opts.addon,
    backupId: opts.backup,
    into: opts.into,
    dropPrevious: opts.dropPrevious,
    allowed,
    lockTimeoutSeconds: opts.lockTimeoutSeconds,
    warn,
    events: { ...printingHooks(out, color), planned: (plan) => out(render(plan, 'text', { color })) },
    approve: opts.autoApprove ? undefined : confirm,
  });
  switch (result.status) {
    case 'refused':
      throw new UserError(refusal(result.hazards));
    case 'cancelled':
      err('Restore cancelled; nothing was changed.');
      return 1;
    case 'failed':
      out(`Restore failed after ${(result.ms / 1000).toFixed(1)}s: ${result.error}`);
      if (!result.dataRestored) out(`Add-on ${result.plan.changes[0]!.addon} was left as it was: the database being restored was dropped.`);
      return 1;
    case 'restored': {
      const change = result.plan.changes[0]!;
      out(`Restore complete in ${(result.ms / 1000).toFixed(1)}s: ${change.reason}. The previous data: ${String(change.after?.previous_data)}.`);
      return 0;
    }
  }
}
