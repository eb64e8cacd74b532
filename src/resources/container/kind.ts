import type { ResourceKind } from '../kind.js';
import { singleInstancePlacements } from '../desired.js';
import type { DesiredAddon, ObservedContainer } from '../model.js';
import { containerExecutors } from './apply.js';
import { diffContainer, diffOrphanContainer } from './diff.js';
import { upgradeExecutors } from './upgrade.js';
import { keptDataWarnings } from './upgrade-diff.js';

// The add-on's PostgreSQL container. Managed containers the config no longer declares on a host are
// undeclared resources (deleted with their data), but only those whose data lives under this config's
// dataDir for the host: two configs (two teams, a test beside the sandbox) can share a host.
export const containerKind: ResourceKind<DesiredAddon, ObservedContainer | null> = {
  kind: 'container',
  scope: 'addon',
  reads: 'host',
  desired: singleInstancePlacements,
  gather: async (read, placed) => (await read.containers()).get(placed.key) ?? null,
  async undeclared(read, declared, desiredOnHost) {
    // An add-on the file now makes highly available, with a member here: its instance gives way to the member.
    const member = (addon: string) => (desiredOnHost.get('patroni') ?? []).some((p) => p.addon === addon);
    return [...(await read.containers())]
      .filter(([addon, c]) => !declared.has(addon) && c.dataDir.startsWith(`${read.host.dataDir}/`))
      .map(([addon, c]) => ({ key: addon, host: read.host.name, addon, observed: member(addon) ? { ...c, replacedByMember: true } : c }));
  },
  diff: (placed, observed) => (placed.desired ? diffContainer(placed.desired, observed) : observed ? [diffOrphanContainer(placed.host, observed)] : []),
  warnings: (placed, observed) => keptDataWarnings(placed.desired, observed),
  executors: { ...containerExecutors, ...upgradeExecutors },
  hazards: ['RESTART', 'DATA_LOSS', 'MAJOR_UPGRADE'],
};
