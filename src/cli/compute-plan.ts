import { retentionRecord } from '../resources/backups/manifest.js';
import { listBackups, storeFor } from '../resources/backups/service.js';
import { gather } from '../gather/gather.js';
import type { CatalogRider } from '../gather/catalog-rider.js';
import { LiveHostReader } from '../gather/host-reader.js';
import { buildPlan } from '../plan/build.js';
import { addonWindows, holdForWindows } from '../maintenance/hold.js';
import type { Plan } from '../plan/types.js';
import type { HostReader } from '../resources/reader.js';
import { notYetApplied } from './not-yet.js';
import { dropHost, type Session } from './session.js';

/** gather (read-only) then diff (pure), from the desired state the session built before contacting a host.
 *  Hosts that failed are named in the plan (hostsNotRead) and its warnings. `rider`: reads of the same
 *  command that share gather's connection to each add-on (catalog-rider.ts). */
export async function computePlan(session: Session, rider?: CatalogRider): Promise<{ plan: Plan }> {
  const listRecords = async (addon: string) =>
    (await listBackups(await storeFor(session.config, session.hosts, addon), addon)).map(retentionRecord);
  const readers = new Map<string, HostReader>();
  for (const [name, host] of session.hosts) {
    readers.set(name, new LiveHostReader(session.config.hosts.find((h) => h.name === name)!, host, session.keystores.get(name)!, listRecords, rider));
  }
  const g = await gather(session.desired, readers);
  for (const [host, reason] of g.hostErrors) dropHost(session, host, reason);
  // Disruptive changes are planned as usual, marked with the maintenance window they wait for.
  const plan = holdForWindows(buildPlan(session.config, session.desired, g.observed), addonWindows(session.config), new Date());
  for (const [host, reason] of [...session.hostErrors].sort(([a], [b]) => a.localeCompare(b))) {
    plan.warnings.push(`host ${host} is left out of this plan: ${reason}`);
    plan.hostsNotRead.push({ host, reason });
  }
  plan.warnings.push(...notYetApplied(session.config));
  return { plan };
}
