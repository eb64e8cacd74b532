import { createHash } from 'node:crypto';
import { canonicalSha256Hex } from '../../util/canonical.js';
import type { HaContainerSpec } from './model.js';

/** What a container is started from, as one hash (its label): image, command, directory, memory. Its files
 *  are compared one by one on the host (fileHashes), so that a changed file can be reloaded in place. */
export function specHash(spec: HaContainerSpec): string {
  const { files: _files, ...runtime } = spec;
  return canonicalSha256Hex(runtime);
}

/** SHA-256 of each file as it must be on the host (no file holds a secret). */
export function fileHashes(spec: HaContainerSpec): Record<string, string> {
  return Object.fromEntries(Object.entries(spec.files).map(([name, content]) => [name, createHash('sha256').update(content).digest('hex')]));
}
