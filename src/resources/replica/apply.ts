import type { ApplyContext, Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { run } from '../../hosts/host.js';
import type { Step } from '../../plan/types.js';
import { shellJoin, shq } from '../../util/shell.js';
import { writeDataFile } from '../data-files.js';
import { installServerCert } from '../tls/apply.js';
import { CONTAINER_DATA_DIR, PGDATA } from '../desired.js';
import { REPLICATION_USER } from '../ha/render.js';
import { type ClusterUpstream, REPLICATION_ROLE, replicationPasswordKey } from './model.js';
import { REPLICA_LABEL, REPLICA_PORT_LABEL, REPLICA_SPEC_LABEL } from './gather.js';
import { promote } from './promote.js';

// Executors of the replica kind. The copy is made with pg_basebackup from the primary, over TLS verified
// with the fleet CA, as dbform's replication role (a cluster's: through its gateways, as Patroni's replication
// user), whose password is derived from the master key: it reaches the container on stdin only, and ends in
// the replica's postgresql.auto.conf (mode 600, as in any standby). The primary's side (role, slot, pg_hba; a
// cluster's permanent slot) may be applied at the same moment on its own host: the copy waits for it.

const CA_FILE = `${CONTAINER_DATA_DIR}/ca.crt`;
const STAGING = `${PGDATA}.init`;
const BASEBACKUP_WAIT_MS = 180_000;

/** Refuses anything but a replica's directory (a plan file is input): ".../.replicas/ADDON". */
export function replicaDir(step: Step, name = 'dataDir'): string {
  const dir = field<string>(step, name, 'string');
  if (!/^\/.+\/\.replicas\/[a-z][a-z0-9-]{1,40}$/.test(dir)) throw new Error(`plan step ${step.type}: ${name} is not a read replica's directory`);
  return dir;
}

const ADDRESS = /^[0-9a-zA-Z.:-]+$/;

/** libpq's connection string to the primary: a single instance's address, or a cluster's gateways (libpq tries
 *  each in turn; the walreceiver does again whenever its connection goes, so it finds the new primary). */
function conninfo(step: Step): string {
  const slot = field<string>(step, 'slot', 'string');
  const tail = `sslmode=verify-ca sslrootcert=${CA_FILE} application_name=${slot}`;
  const cluster = clusterOf(step);
  // A gateway on a host that died answers nothing, not even a refusal: the WAL receiver (which connects without
  // libpq's connect_timeout) would wait for the kernel to give up on it (38 s on the test fleet) before trying the
  // next. tcp_user_timeout bounds that to 2 s; connect_timeout does for pg_basebackup.
  if (cluster) return `host=${cluster.gateways.join(',')} port=${cluster.port} user=${cluster.user} connect_timeout=2 tcp_user_timeout=2000 ${tail}`;
  const primary = field<{ address: string; port: number }>(step, 'primary', 'object');
  if (!ADDRESS.test(primary.address) || !Number.isInteger(primary.port)) throw new Error('plan step replica.ensure: bad primary address');
  return `host=${primary.address} port=${primary.port} user=${REPLICATION_ROLE} ${tail}`;
}

/** The step's cluster upstream, refused unless well formed (a plan file is input); undefined for a single instance. */
function clusterOf(step: Step): ClusterUpstream | undefined {
  if (step.cluster === undefined) return undefined;
  const c = field<ClusterUpstream>(step, 'cluster', 'object');
  const ok = Array.isArray(c.gateways) && c.gateways.length > 0 && c.gateways.every((g) => typeof g === 'string' && ADDRESS.test(g)) &&
    Number.isInteger(c.port) && c.user === REPLICATION_USER && typeof c.hba === 'string';
  if (!ok) throw new Error('plan step replica.ensure: bad cluster upstream');
  return c;
}

/** A copy of a cluster member is made a plain standby like a single instance's copy: PostgreSQL's own
 *  postgresql.conf again instead of Patroni's (which names the member's certificate files and pg_hba.conf
 *  and includes the original, kept as postgresql.base.conf: every setting dbform wants is on the command
 *  line). Run once, on the fresh copy. */
function fromClusterMemberScript(dir: string): string {
  return [
    `cd ${dir} || exit 1`,
    'if [ -f postgresql.base.conf ]; then mv postgresql.base.conf postgresql.conf; else : > postgresql.conf; fi',
    'rm -f patroni.dynamic.json',
  ].join('\n');
}

/** Writes pg_hba.conf from stdin (a cluster's replica: see ClusterUpstream.hba). */
const hbaScript = (dir: string) => `cat > ${dir}/pg_hba.conf.new && chmod 600 ${dir}/pg_hba.conf.new && mv ${dir}/pg_hba.conf.new ${dir}/pg_hba.conf`;

/** postgresql.auto.conf's primary_conninfo and primary_slot_name, written afresh (the primary may have moved).
 *  The password comes as the script's first line of stdin. */
function standbyConfScript(dir: string, info: string, slot: string): string {
  return [
    'IFS= read -r PGPASSWORD',
    `f=${dir}/postgresql.auto.conf`,
    'grep -v -E "^(primary_conninfo|primary_slot_name) " "$f" > "$f.new" 2>/dev/null || true',
    `printf "primary_conninfo = '%s password=%s'\\nprimary_slot_name = '%s'\\n" ${shq(info)} "$PGPASSWORD" ${shq(slot)} >> "$f.new"`,
    'chmod 600 "$f.new" && mv "$f.new" "$f"',
    `touch ${dir}/standby.signal`,
  ].join('\n');
}

async function baseBackup(step: Step, ctx: ApplyContext, dataDir: string, image: string, password: string): Promise<void> {
  const mount = `${dataDir}:${CONTAINER_DATA_DIR}`;
  const slot = field<string>(step, 'slot', 'string');
  const source = field<string>(step, 'source', 'string');
  const cluster = clusterOf(step);
  await run(ctx.host, 'preparing the replica\'s directory', shellJoin(['docker', 'run', '--rm', '--user', 'root', '--network', 'none', '-v', mount, image, 'sh', '-c',
    `chown postgres:postgres ${CONTAINER_DATA_DIR} && rm -rf ${STAGING}`]));
  // stdin: the password's line, then (a cluster's replica) its pg_hba.conf.
  const script = [
    'IFS= read -r PGPASSWORD; export PGPASSWORD',
    `rm -rf ${STAGING} && pg_basebackup -D ${STAGING} -d "$0" -S ${shq(slot)} -X stream -c fast --no-password`,
    `printf '%s\\n' "$PGPASSWORD" | sh -c "$1"`,
    ...(cluster ? [`(${fromClusterMemberScript(STAGING)}) && ${hbaScript(STAGING)}`] : []),
    `sync && mv ${STAGING} ${PGDATA}`,
  ].join('\n');
  const stdin = password + '\n' + (cluster?.hba ?? '');
  const deadline = Date.now() + BASEBACKUP_WAIT_MS;
  ctx.progress(`copying ${source} from its primary (pg_basebackup, slot ${slot})`);
  for (;;) {
    const r = await ctx.host.exec(shellJoin(['docker', 'run', '--rm', '-i', '--user', 'postgres', '--network', 'host', '-v', mount, image, 'sh', '-c', script, conninfo(step), standbyConfScript(STAGING, conninfo(step), slot)]), { stdin });
    if (r.code === 0) return;
    // The primary, its role, slot or pg_hba line (a cluster: its permanent slot) may be being made by this same apply.
    if (Date.now() > deadline) throw new Error(`host ${ctx.host.name}: the copy of ${source} from its primary failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

async function waitReady(ctx: ApplyContext, name: string, port: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await ctx.host.exec(shellJoin(['docker', 'exec', name, 'pg_isready', '-q', '-h', '/tmp', '-p', port]))).code !== 0) {
    if (Date.now() > deadline) {
      const logs = await ctx.host.exec(`docker logs --tail 5 ${shq(name)} 2>&1`);
      throw new Error(`host ${ctx.host.name}: the read replica ${name} is not ready after 120 s: ${logs.stdout.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

const ensure: Executor = async (step, ctx) => {
  const source = field<string>(step, 'source', 'string');
  const name = field<string>(step, 'name', 'string');
  const image = field<string>(step, 'image', 'string');
  const port = field<number>(step, 'port', 'number');
  const memoryMb = field<number>(step, 'memoryMb', 'number');
  const settings = field<Record<string, string>>(step, 'settings', 'object');
  const dataDir = replicaDir(step);
  const password = ctx.keystore.derivedPassword(replicationPasswordKey(source));
  await run(ctx.host, `preparing ${dataDir}`, `mkdir -p ${shq(dataDir)}`);
  await writeDataFile(ctx.host, dataDir, 'ca.crt', await ctx.ca.certPem(), '644');
  await run(ctx.host, `removing the old read replica of ${source}`, `docker rm -f ${shq(name)} >/dev/null 2>&1; true`);
  if ((await ctx.host.exec(`test -s ${shq(`${dataDir}/pgdata/PG_VERSION`)}`)).code !== 0) {
    await baseBackup(step, ctx, dataDir, image, password);
  } else {
    const cluster = clusterOf(step);
    const script = standbyConfScript(PGDATA, conninfo(step), field<string>(step, 'slot', 'string')) + (cluster ? `\n${hbaScript(PGDATA)}` : '');
    await run(ctx.host, 'pointing the replica at its primary', shellJoin(['docker', 'run', '--rm', '-i', '--user', 'postgres', '--network', 'none', '-v', `${dataDir}:${CONTAINER_DATA_DIR}`, image,
      'sh', '-c', script]), { stdin: password + '\n' + (cluster?.hba ?? '') });
  }
  // Its own certificate, for its host's names: the copied one names the primary's.
  await installServerCert(ctx, source, dataDir, step.tlsNames as string[]);
  const args = ['docker', 'run', '-d', '--name', name,
    '--label', `${REPLICA_LABEL}=${source}`, '--label', `${REPLICA_SPEC_LABEL}=${field<string>(step, 'spec', 'string')}`, '--label', `${REPLICA_PORT_LABEL}=${port}`,
    '--network', 'host', '--memory', `${memoryMb}m`, '--memory-swap', `${memoryMb}m`, '--shm-size', `${Math.max(64, Math.floor(memoryMb / 4))}m`,
    '--restart', 'unless-stopped', '--stop-timeout', '30', '-v', `${dataDir}:${CONTAINER_DATA_DIR}`,
    image, 'postgres', '-D', PGDATA, ...Object.keys(settings).sort().flatMap((k) => ['-c', `${k}=${settings[k]}`])];
  ctx.progress(`starting the read replica ${name} (port ${port})`);
  await run(ctx.host, `starting the read replica of ${source}`, shellJoin(args) + ' >/dev/null');
  await waitReady(ctx, name, port);
};

const remove: Executor = async (step, ctx) => {
  const source = field<string>(step, 'source', 'string');
  const dataDir = replicaDir(step);
  await run(ctx.host, `removing the read replica of ${source}`, `docker rm -f ${shq(field<string>(step, 'name', 'string'))} >/dev/null 2>&1; true`);
  await run(ctx.host, `deleting the data of the read replica of ${source}`, `rm -rf ${shq(dataDir)}`);
};

export const replicaExecutors: Record<string, Executor> = {
  'replica.ensure': ensure,
  'replica.remove': remove,
  'replica.promote': promote,
};
