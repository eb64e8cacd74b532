import type { Attrs, Change, Hazard } from '../../plan/types.js';
import type { HaContainerSpec, ObservedHaUnit } from './model.js';
import { fileHashes, specHash } from './spec-hash.js';
import { VALIDITY_DAYS } from '../tls/server-cert.js';

// Pure: a container of high availability, desired against observed -> at most one change: create it, make it
// again from a changed spec (or changed files, when it cannot reload them), rewrite files it reloads, start it
// again (also when its image name now points to a rebuilt image: a minor upgrade), or renew its certificates
// (making it again renews them too, so that is checked last).

export interface HaDiffInput {
  address: string;
  kind: string;
  stepType: string;
  /** Extra fields of the step besides the spec (e.g. who to wait for). */
  step?: Record<string, string | number | boolean | string[]>;
  /** What making it again costs (a restart of PostgreSQL, of the gateway). */
  restartHazard?: Hazard;
  /** The step that rewrites changed files and has the container reload them, when it can. */
  reload?: { stepType: string; hazard?: Hazard };
  /** Hashes of specs that run what `spec` asks for all the same (a Patroni member started with another list
   *  of the consensus store's addresses: it follows the store's membership by itself). */
  sameAs?: string[];
  /** Why its certificates must be issued again (ha/cert-check.ts), and the step that does it without a restart. */
  renew?: { reasons: string[]; stepType: string };
}

const short = (id: string | null) => (id ?? '').replace(/^sha256:/, '').slice(0, 12);

function attrs(spec: HaContainerSpec): Attrs {
  return { container: spec.name, image: spec.image, ...(spec.memoryMb !== null ? { memory_mb: spec.memoryMb } : {}), spec: specHash(spec).slice(0, 12) };
}

export function diffHaContainer(placed: { host: string; addon: string }, spec: HaContainerSpec, observed: ObservedHaUnit, input: HaDiffInput): Change[] {
  const base = { address: input.address, kind: input.kind, host: placed.host, addon: placed.addon };
  const steps = [{ type: input.stepType, spec: spec as never, ...input.step }];
  const have = observed.container;
  if (!have) {
    return [{ ...base, action: 'create', reason: `${spec.name} does not exist on ${placed.host}`, before: null, after: attrs(spec), hazards: [], steps }];
  }
  const want = fileHashes(spec);
  const changedFiles = Object.keys(want).filter((f) => observed.files[f] !== want[f]).sort();
  const hash = input.sameAs?.includes(have.spec) ? have.spec : specHash(spec);
  const rebuilt = have.imageId && have.tagImageId && have.imageId !== have.tagImageId;
  if (have.spec !== hash || (changedFiles.length && !input.reload) || rebuilt) {
    const why = have.spec !== hash ? 'was started from another configuration'
      : changedFiles.length && !input.reload ? `reads changed files (${changedFiles.join(', ')})`
      : `runs an older build of ${spec.image} (${short(have.imageId)} -> ${short(have.tagImageId)}): a minor upgrade`;
    return [{
      ...base, action: 'update', reason: `${spec.name} ${why}`,
      before: { container: have.name, spec: have.spec.slice(0, 12), ...(rebuilt ? { image_id: short(have.imageId) } : {}) },
      after: { ...attrs(spec), ...(rebuilt ? { image_id: short(have.tagImageId) } : {}) },
      hazards: input.restartHazard ? [input.restartHazard] : [], steps,
    }];
  }
  if (!have.running) {
    return [{ ...base, action: 'update', reason: `${spec.name} is ${have.status}`, before: { container: have.name, status: have.status }, after: { container: spec.name, status: 'running' }, hazards: [], steps }];
  }
  if (changedFiles.length && input.reload) {
    // Certificates due too (a member moved to another host: the others' must name it) are renewed in the same
    // change, after the reload, rather than left to the next plan.
    const renew = input.renew?.reasons.length ? input.renew : undefined;
    return [{
      ...base, action: 'update',
      reason: `${changedFiles.join(', ')} changed: rewritten and reloaded, without a restart${renew ? `; certificates issued again by the fleet CA: ${renew.reasons.join('; ')}` : ''}`,
      before: { files: changedFiles.map((f) => `${f} ${observed.files[f]?.slice(0, 12) ?? '(missing)'}`), ...(renew ? { certificates: renew.reasons } : {}) },
      after: { files: changedFiles.map((f) => `${f} ${want[f]!.slice(0, 12)}`), ...(renew ? { certificates: `valid ${VALIDITY_DAYS} days` } : {}) },
      hazards: input.reload.hazard ? [input.reload.hazard] : [],
      steps: [{ type: input.reload.stepType, spec: spec as never }, ...(renew ? [{ ...steps[0]!, type: renew.stepType }] : [])],
    }];
  }
  if (input.renew?.reasons.length) {
    return [{
      ...base, action: 'update', reason: `certificates issued again by the fleet CA, without a restart: ${input.renew.reasons.join('; ')}`,
      before: { certificates: input.renew.reasons }, after: { certificates: `valid ${VALIDITY_DAYS} days` }, hazards: [],
      steps: [{ ...steps[0]!, type: input.renew.stepType }],
    }];
  }
  return [];
}
