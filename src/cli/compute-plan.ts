import { backupRecipient } from '../backups/keys.js';
import { gather } from '../gather/gather.js';
import { buildPlan } from '../plan/build.js';
import type { Plan } from '../plan/types.js';
import type { DesiredAddon } from '../resources/model.js';
import { notYetApplied } from './not-yet.js';
import { dropHost, type Session } from './session.js';

export interface ComputedPlan {
  plan: Plan;
  desired: Map<string, DesiredAddon>;
}

/** gather (read-only) then diff (pure). Hosts that failed are named in the plan's warnings. */
export async function computePlan(session: Session): Promise<ComputedPlan> {
  const g = await gather({
    backupRecipient: (addon) => backupRecipient(session.masterKey, addon),
    config: session.config,
    hosts: session.hosts,
    keystores: session.keystores,
    caPublicKeyPem: session.ca.publicKeyPem,
    now: new Date(),
  });
  for (const [host, reason] of g.hostErrors) dropHost(session, host, reason);
  const plan = buildPlan(session.config, g.desired, g.observed);
  for (const [host, reason] of [...session.hostErrors].sort(([a], [b]) => a.localeCompare(b))) {
    plan.warnings.push(`host ${host} is left out of this plan: ${reason}`);
    plan.hostsNotRead.push({ host, reason });
  }
  plan.warnings.push(...notYetApplied(session.config));
  return { plan, desired: new Map(g.desired.map((d) => [d.name, d])) };
}
