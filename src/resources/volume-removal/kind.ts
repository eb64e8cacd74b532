import type { Config } from '../../config/types.js';
import type { Placed, ResourceKind } from '../kind.js';
import { volumeRemovalExecutors } from '../volume/apply.js';
import { volumeWhere, type VolumeWhere } from '../volume/desired.js';
import { volumeRemovalChange } from '../volume/diff.js';
import { gatherLeftVolume, type ObservedVolume } from '../volume/gather.js';

// The removal of an add-on's encrypted volume once the add-on is no longer in the file. A kind of its own,
// listed after the container in the registry, because a volume is made before its container and must be
// deleted after it: the container binds the mount point, and a mapping in use cannot be closed. Work on both
// sides of another kind's change is two kinds, as pitr and pitr-base are (src/resources/README.md, "Adding a kind").
//
// Every add-on of the file is placed here only so that `undeclared` knows which volumes are still wanted;
// a declared add-on's volume is the volume kind's, so there is nothing to read or change for it.

/** A volume left on a host by an add-on the file no longer declares, and where it is. */
export type LeftVolume = ObservedVolume & { at: VolumeWhere };

/** Every add-on of the file on each of its hosts (desired: its name), keyed as the container and volume kinds key them. */
function everyAddon(config: Config): Placed<string>[] {
  return config.addons.flatMap((a) => a.hosts.map((host) => ({ key: a.hosts.length > 1 ? `${a.name}@${host}` : a.name, host, addon: a.name, desired: a.name })));
}

export const volumeRemovalKind: ResourceKind<string, LeftVolume | null> = {
  kind: 'volume-removal',
  scope: 'addon',
  reads: 'host',
  desired: everyAddon,
  gather: () => Promise.resolve(null),
  async undeclared(read, declared) {
    const wanted = new Set([...declared].map((key) => key.split('@')[0]));
    const left = ((await read.volumeFiles?.()) ?? []).filter((addon) => !wanted.has(addon));
    return Promise.all(
      left.map(async (addon) => {
        const at = volumeWhere(read.host.dataDir, addon);
        return { key: addon, host: read.host.name, addon, observed: { ...(await gatherLeftVolume(read, at)), at } };
      }),
    );
  },
  diff: (placed, observed) => (placed.desired === null && observed?.exists ? [volumeRemovalChange(placed.host, observed.at, observed)] : []),
  executors: volumeRemovalExecutors,
  hazards: ['DATA_LOSS'],
};
