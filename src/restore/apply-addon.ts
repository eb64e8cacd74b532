import { applyPlan, type ApplyHooks } from '../apply/apply.js';
import { computePlan } from '../cli/compute-plan.js';
import type { Session } from '../cli/session.js';
import type { Change } from '../plan/types.js';
import { UserError } from '../util/errors.js';

// After `restore --to --into NEW` put NEW's data directory in place, NEW is made exactly as apply makes it:
// the plan of the file, only NEW's changes (its container on the restored data, no initdb; settings, TLS,
// users, grants, PITR stanza), applied with the lock the restore holds. Other add-ons' changes wait for apply.
// A highly available NEW also needs the consensus store: made here when the fleet has none yet (its creation,
// never a change to a store that runs, which concerns every cluster of the fleet).
export function addonChanges(changes: Change[], addon: string): Change[] {
  return changes.filter((c) => c.addon === addon || (c.kind === 'etcd' && c.action === 'create'));
}

export async function applyAddonFromFile(session: Session, addon: string, progress: (message: string, host?: string) => void): Promise<void> {
  progress(`reading the fleet to plan ${addon} as the file says`);
  const { plan } = await computePlan(session);
  const ha = session.config.addons.find((a) => a.name === addon)!.hosts.length > 1;
  const changes = ha ? addonChanges(plan.changes, addon) : plan.changes.filter((c) => c.addon === addon);
  const hazardous = changes.filter((c) => c.hazards.length);
  if (hazardous.length) {
    throw new UserError(`making ${addon} needs changes with hazards (${hazardous.map((c) => c.address).join(', ')}): run dbform plan, then apply`);
  }
  const quiet = () => undefined;
  const errors: string[] = [];
  const hooks: ApplyHooks = { start: quiet, done: quiet, skipped: quiet, failed: (c, e) => errors.push(`${c.address}: ${e.message}`), progress: (h, m) => progress(m, h) };
  await applyPlan({ plan: { ...plan, changes }, hosts: session.hosts, keystores: session.keystores, ca: session.ca, hooks });
  if (errors.length) throw new UserError(`making ${addon} on its restored data failed: ${errors.join('; ')}`);
}
