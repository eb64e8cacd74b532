import type { HostReader } from '../reader.js';
import type { HaContainerSpec, ObservedHaUnit } from './model.js';

/** Read-only: a container of high availability and the hashes of its files on the host (batched reads). */
export async function gatherHaUnit(read: HostReader, spec: HaContainerSpec): Promise<ObservedHaUnit> {
  const names = Object.keys(spec.files).sort();
  const [containers, hashes] = await Promise.all([read.haContainers?.(), Promise.all(names.map((f) => read.fileHash(`${spec.dir}/${f}`)))]);
  return { container: containers?.get(spec.name) ?? null, files: Object.fromEntries(names.map((f, i) => [f, hashes[i]!])) };
}
