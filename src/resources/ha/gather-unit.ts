import type { HostReader } from '../reader.js';
import type { HaContainerSpec, ObservedHaUnit } from './model.js';
import { certOnHost, type CertWant } from './cert-check.js';

/** Read-only: a container of high availability and the hashes of its files on the host (batched reads). */
export async function gatherHaUnit(read: HostReader, spec: HaContainerSpec): Promise<ObservedHaUnit> {
  const names = Object.keys(spec.files).sort();
  const [containers, hashes] = await Promise.all([read.haContainers?.(), Promise.all(names.map((f) => read.fileHash(`${spec.dir}/${f}`)))]);
  return { container: containers?.get(spec.name) ?? null, files: Object.fromEntries(names.map((f, i) => [f, hashes[i]!])) };
}

/** Read-only: the certificates of a container, by path in the container (none when the reader cannot read
 *  certificates: a recording made before they were checked). */
export async function gatherCerts(read: HostReader, dir: string, wants: readonly CertWant[]): Promise<Record<string, string | null>> {
  if (!read.certificate) return {};
  const pems = await Promise.all(wants.map((w) => read.certificate!(certOnHost(dir, w))));
  return Object.fromEntries(wants.map((w, i) => [w.cert, pems[i]!]));
}
