import type { ApplyHooks } from '../apply/apply.js';
import { makeContext } from '../apply/apply.js';
import { runSteps } from '../apply/converge.js';
import type { Session } from '../cli/session.js';
import { instanceDesired, instancePlacements } from '../plan/build.js';
import type { Plan } from '../plan/types.js';
import { CONVERGE_KIND, KINDS } from '../resources/registry.js';

// After a restore replaced an add-on's data, its roles, passwords, owner, grants and extensions are those of
// the restored past: they are made what the file says now, with apply's own convergence (the step apply runs
// for an instance it could not read), so that `plan` is empty right after the restore.
export async function convergeWithFile(session: Session, addon: string, progress: (message: string) => void): Promise<void> {
  const placed = instancePlacements(session.desired, KINDS).find((p) => p.addon === addon);
  if (!placed) throw new Error(`add-on ${addon} is not declared`);
  const d = placed.desired;
  const plan: Plan = {
    formatVersion: 1,
    config: { file: session.config.file, sha256: session.config.sha256 },
    observedFingerprint: '',
    changes: [],
    warnings: [],
    hostsNotRead: [],
    instances: { [addon]: { host: d.host, port: d.container.port } },
  };
  const quiet = () => undefined;
  const hooks: ApplyHooks = { start: quiet, done: quiet, failed: quiet, skipped: quiet, progress: (_host, m) => progress(m) };
  const { ctx, close } = makeContext({ plan, hosts: session.hosts, keystores: session.keystores, ca: session.ca, hooks }, d.host);
  try {
    await runSteps([{ type: `${CONVERGE_KIND}.converge`, addon, desired: instanceDesired(d) as never }], ctx);
  } finally {
    await close();
  }
}
