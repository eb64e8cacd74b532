import type { Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { run } from '../../hosts/host.js';
import type { Change, Hazard, Step } from '../../plan/types.js';
import { shq } from '../../util/shell.js';
import type { Placed } from '../kind.js';
import type { HostReader } from '../reader.js';
import type { HaRole, ObservedHaUnit } from './model.js';

// Containers of high availability that the config no longer declares on a host (an add-on removed or moved,
// a consensus store no longer needed): the plan deletes them with their directory. Only those whose
// directory lives under this config's dataDir for the host: two configs can share a host.

/** The key a kind places a container of `role` under (etcd@HOST, ADDON@HOST). */
const keyOf = (role: HaRole, addon: string, host: string) => (role === 'etcd' ? `etcd@${host}` : `${addon}@${host}`);

export async function undeclaredHa(read: HostReader, declared: ReadonlySet<string>, role: HaRole): Promise<Array<Omit<Placed<null>, 'desired'> & { observed: ObservedHaUnit }>> {
  const all = (await read.haContainers?.()) ?? new Map();
  return [...all.values()]
    .filter((c) => c.role === role && c.dir.startsWith(`${read.host.dataDir}/`) && !declared.has(keyOf(role, c.addon, read.host.name)))
    .map((c) => ({ key: keyOf(role, c.addon, read.host.name), host: read.host.name, addon: c.addon, observed: { container: c, files: {} } }));
}

export function removalChange(placed: { host: string; addon: string }, observed: ObservedHaUnit, address: string, kind: string, hazard?: Hazard, stepType = 'ha.remove'): Change[] {
  const c = observed.container;
  if (!c) return [];
  return [{
    address, kind, host: placed.host, addon: placed.addon, action: 'delete',
    reason: `${c.name} is no longer declared in the file`,
    before: { container: c.name, directory: c.dir }, after: null,
    hazards: hazard ? [hazard] : [],
    steps: [{ type: stepType, name: c.name, dir: c.dir, addon: placed.addon }],
  }];
}

/** The container and directory of a removal step, refused unless they are ones dbform makes. */
export function removalTarget(step: Step): { name: string; dir: string } {
  const name = field<string>(step, 'name', 'string');
  const dir = field<string>(step, 'dir', 'string');
  if (!/^dbform-[a-z0-9-]+$/.test(name) || !/^\/[^\0]+\/(\.consensus|[a-z][a-z0-9-]{1,40}(\/gateway)?)$/.test(dir)) {
    throw new Error(`plan step ${step.type}: not a container or directory dbform makes`);
  }
  return { name, dir };
}

/** Removes the container and its directory. */
export const removeHaContainer: Executor = async (step, ctx) => {
  const { name, dir } = removalTarget(step);
  ctx.progress(`removing ${name}`);
  await run(ctx.host, `removing ${name}`, `docker rm -f ${shq(name)} >/dev/null 2>&1; rm -rf ${shq(dir)}`);
};
