import { canonicalSha256Hex } from '../../util/canonical.js';
import type { HaContainerSpec } from './model.js';

/** What a container is started from, as one hash (its label): a changed file, command or limit changes it. */
export function specHash(spec: HaContainerSpec): string {
  return canonicalSha256Hex(spec);
}
