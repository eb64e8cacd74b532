import type { ApplyContext } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { run } from '../../hosts/host.js';
import type { Step } from '../../plan/types.js';
import { shellJoin, shq } from '../../util/shell.js';
import type { HaContainerSpec } from './model.js';
import { HA_DIR } from './dir.js';
import { specHash } from './spec-hash.js';
import { consensusHosts } from './render.js';

// Runs one container of high availability from its spec (a plan step): writes its files, owns its directory
// as the image's postgres user, and (re)starts it with host networking and a restart policy, so that a
// host that comes back brings its members back without dbform. Idempotent.

export const HA_LABEL = 'dbform.ha';
export const HA_ADDON_LABEL = 'dbform.ha.addon';
export const HA_SPEC_LABEL = 'dbform.ha.spec';
/** A Patroni member's consensus store addresses when it started (patroni.yml's etcd3 hosts): Patroni follows
 *  the store's membership by itself afterwards, so a later change of the list needs no restart (ha/render.ts). */
export const HA_CONSENSUS_LABEL = 'dbform.ha.consensus';

/** A bind mount a spec may ask for: a member's pgBackRest settings, read-only (pitr/cluster.ts). */
const MOUNT = /^\/[^:\0]+\/\.pitr\/[a-z][a-z0-9-]*\/etc:\/etc\/pgbackrest:ro$/;

/** The spec a step carries, refused unless it is well formed (a plan file is input). */
export function stepSpec(step: Step): HaContainerSpec {
  const spec = field<HaContainerSpec>(step, 'spec', 'object');
  const ok =
    ['etcd', 'patroni', 'gateway'].includes(spec.role) &&
    /^dbform-[a-z0-9-]+$/.test(spec.name) &&
    typeof spec.image === 'string' &&
    /^\/[^\0]+\/(\.consensus|[a-z][a-z0-9-]{1,40}(\/gateway)?)$/.test(spec.dir) &&
    Array.isArray(spec.command) && spec.command.every((c) => typeof c === 'string') &&
    (spec.memoryMb === null || typeof spec.memoryMb === 'number') &&
    (spec.startOnly === undefined || typeof spec.startOnly === 'string') &&
    (spec.mounts === undefined || (Array.isArray(spec.mounts) && spec.mounts.every((m) => typeof m === 'string' && MOUNT.test(m)))) &&
    Object.keys(spec.files ?? {}).every((f) => /^[a-z0-9.-]+$/.test(f) && typeof spec.files[f] === 'string');
  if (!ok) throw new Error(`plan step ${step.type}: its container spec is malformed`);
  return spec;
}

async function writeFile(ctx: ApplyContext, path: string, content: string, mode: string): Promise<void> {
  await run(ctx.host, `writing ${path}`, `umask 077 && cat > ${shq(path + '.tmp')} && chmod ${mode} ${shq(path + '.tmp')} && mv ${shq(path + '.tmp')} ${shq(path)}`, { stdin: content });
}

/** Writes the spec's files, readable by the container (none holds a secret). */
export async function writeSpecFiles(ctx: ApplyContext, spec: HaContainerSpec): Promise<void> {
  for (const [name, content] of Object.entries(spec.files)) await writeFile(ctx, `${spec.dir}/${name}`, content, '644');
}

/** Writes the spec's files (and `secretEnv`, a file of the container's environment, mode 600) and hands the
 *  directory (with its tls/ subdirectory, see ha/certs.ts) to the image's postgres user. */
export async function prepareDir(ctx: ApplyContext, spec: HaContainerSpec, secretEnv?: string): Promise<void> {
  await run(ctx.host, `preparing ${spec.dir}`, `mkdir -p ${shq(`${spec.dir}/tls`)}`);
  await writeSpecFiles(ctx, spec);
  if (secretEnv !== undefined) await writeFile(ctx, `${spec.dir}/.env`, secretEnv, '600');
  await run(
    ctx.host,
    `owning ${spec.dir}`,
    shellJoin(['docker', 'run', '--rm', '--user', 'root', '--network', 'none', '-v', `${spec.dir}:${HA_DIR}`, spec.image, 'chown', '-R', 'postgres:postgres', HA_DIR]),
  );
}

/** Replaces the container by one started from `spec`. */
export async function startContainer(ctx: ApplyContext, spec: HaContainerSpec, withEnv: boolean): Promise<void> {
  await run(ctx.host, `removing the old ${spec.name}`, `docker rm -f ${shq(spec.name)} >/dev/null 2>&1; true`);
  const args = ['docker', 'run', '-d', '--name', spec.name,
    '--label', `${HA_LABEL}=${spec.role}`, '--label', `${HA_ADDON_LABEL}=${spec.addon}`, '--label', `${HA_SPEC_LABEL}=${specHash(spec)}`,
    ...(spec.role === 'patroni' ? ['--label', `${HA_CONSENSUS_LABEL}=${consensusHosts(spec.files['patroni.yml'] ?? '').join(',')}`] : []),
    '--network', 'host', '--restart', 'unless-stopped', '--stop-timeout', '30',
    ...(spec.memoryMb !== null ? ['--memory', `${spec.memoryMb}m`, '--memory-swap', `${spec.memoryMb}m`, '--shm-size', `${Math.max(64, Math.floor(spec.memoryMb / 4))}m`] : []),
    // Read by the docker client on the host: the secrets never reach a command line.
    ...(withEnv ? ['--env-file', `${spec.dir}/.env`] : []),
    '-v', `${spec.dir}:${HA_DIR}`,
    ...(spec.mounts ?? []).flatMap((m) => ['-v', m]),
    spec.image, ...spec.command];
  ctx.progress(`starting ${spec.name}`);
  await run(ctx.host, `starting ${spec.name}`, shellJoin(args) + ' >/dev/null');
}

/** Waits until one of `urls` (from the host's network, with the image's curl and `curlTls`, its options for
 *  HTTPS: see ha/tls.ts) answers 2xx; the container's last log lines name the reason when none does. */
export async function waitForHttp(ctx: ApplyContext, spec: HaContainerSpec, urls: string | string[], what: string, curlTls: string[], seconds = 120): Promise<void> {
  if (await pollHttp(ctx, spec, urls, seconds, curlTls)) return;
  const logs = await ctx.host.exec(`docker logs --tail 5 ${shq(spec.name)} 2>&1`);
  throw new Error(`host ${ctx.host.name}: ${what} after ${seconds} s: ${logs.stdout.trim()}`);
}

/** Whether one of `urls` answers 2xx within `seconds`. The container's directory is mounted read-only: the
 *  CA and client certificates `curlTls` names are there. */
export async function pollHttp(ctx: ApplyContext, spec: HaContainerSpec, urls: string | string[], seconds: number, curlTls: string[]): Promise<boolean> {
  const list = (Array.isArray(urls) ? urls : [urls]).map(shq).join(' ');
  const curl = shellJoin(['curl', '-sf', '-m', '1', '-o', '/dev/null', ...curlTls]);
  const loop = `i=0; while [ $i -lt ${seconds * 4} ]; do for u in ${list}; do ${curl} "$u" && exit 0; done; i=$((i+1)); sleep 0.25; done; exit 1`;
  return (await ctx.host.exec(shellJoin(['docker', 'run', '--rm', '--network', 'host', '-v', `${spec.dir}:${HA_DIR}:ro`, spec.image, 'sh', '-c', loop]))).code === 0;
}
