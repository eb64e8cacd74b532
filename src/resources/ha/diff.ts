import type { Attrs, Change, Hazard } from '../../plan/types.js';
import type { HaContainerSpec, ObservedHaContainer } from './model.js';
import { specHash } from './spec-hash.js';

// Pure: a container of high availability, desired against observed -> at most one change: create it,
// make it again from a changed spec, or start it again. Removal of undeclared ones is not done yet.

export interface HaDiffInput {
  address: string;
  kind: string;
  stepType: string;
  /** Extra fields of the step besides the spec (e.g. who to wait for). */
  step?: Record<string, string | number | boolean | string[]>;
  /** What making it again costs (a restart of PostgreSQL, of the gateway). */
  restartHazard?: Hazard;
}

function attrs(spec: HaContainerSpec): Attrs {
  return { container: spec.name, image: spec.image, ...(spec.memoryMb !== null ? { memory_mb: spec.memoryMb } : {}), spec: specHash(spec).slice(0, 12) };
}

export function diffHaContainer(placed: { host: string; addon: string }, spec: HaContainerSpec, observed: ObservedHaContainer | null, input: HaDiffInput): Change[] {
  const base = { address: input.address, kind: input.kind, host: placed.host, addon: placed.addon };
  const steps = [{ type: input.stepType, spec: spec as never, ...input.step }];
  if (!observed) {
    return [{ ...base, action: 'create', reason: `${spec.name} does not exist on ${placed.host}`, before: null, after: attrs(spec), hazards: [], steps }];
  }
  const hash = specHash(spec);
  if (observed.spec !== hash) {
    return [{
      ...base, action: 'update', reason: `${spec.name} was started from another configuration`,
      before: { container: observed.name, spec: observed.spec.slice(0, 12) }, after: attrs(spec),
      hazards: input.restartHazard ? [input.restartHazard] : [], steps,
    }];
  }
  if (!observed.running) {
    return [{ ...base, action: 'update', reason: `${spec.name} is ${observed.status}`, before: { container: observed.name, status: observed.status }, after: { container: spec.name, status: 'running' }, hazards: [], steps }];
  }
  return [];
}
