import { run } from '../../hosts/host.js';
import type { ApplyContext, Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { shellJoin, shq } from '../../util/shell.js';
import { CONTAINER_DATA_DIR, PGDATA } from '../desired.js';
import { ensure } from './apply.js';
import { KEPT_PREFIX } from './gather.js';

// A major upgrade by dump and restore (chosen over pg_upgrade: our mirror has each major version in another
// Debian suite, so no image holds both versions' binaries, and a dump/restore needs none of the old binaries
// in the new image; bench/README.md has the figures). In order:
//   1. a backup (when the add-on takes backups), while the add-on still serves;
//   2. initdb of the new version in pgdata.upgrade, while the add-on still serves;
//   3. the add-on is stopped (downtime starts); its data is served by a temporary old-version container and
//      the new data directory by a temporary new-version one, both without network;
//   4. pg_dumpall | psql: roles with their password verifiers, grants, databases, extensions;
//   5. both stop cleanly; pg_hba.conf, the server certificate and postgresql.auto.conf are carried over;
//      pgdata becomes pgdata.pgOLD (kept for a rollback, replacing an earlier kept one) and pgdata.upgrade
//      becomes pgdata;
//   6. the add-on's container is created on the new image (the ensure step; downtime ends when it answers).
// Until step 5 the old data is untouched: a failure before it removes the temporary containers and
// pgdata.upgrade and starts the add-on again on its old version.

const STAGING = 'pgdata.upgrade';
/** Files of pgdata that dbform or ALTER SYSTEM wrote: the new data directory gets the same. */
const CARRIED = ['pg_hba.conf', 'server.crt', 'server.key', 'root.crt', 'postgresql.auto.conf'];
/** The temporary servers only load and read data: no durability needed until the final clean stop and sync.
 *  Index builds get a quarter of the add-on's memory (the temporary server has the add-on's memory limit). */
function loadSettings(memoryMb: number): string[] {
  return ['fsync=off', 'full_page_writes=off', 'synchronous_commit=off', 'max_wal_size=4GB', 'checkpoint_timeout=30min',
    `maintenance_work_mem=${Math.max(16, Math.floor(memoryMb / 4))}MB`];
}

/** pg_dumpall creates every role, the one it connects as (postgres) too, which the new cluster already has: that
 *  one statement is dropped (only in the roles section, before the first \connect, where no table data is) so
 *  that psql can stop at any other error. */
const SKIP_OWN_ROLE = '!data && $0 == "CREATE ROLE postgres;" { next } /^\\\\connect / { data = 1 } { print }';

interface Upgrade {
  addon: string;
  name: string;
  image: string;
  oldImage: string;
  fromVersion: string;
  dataDir: string;
  memoryMb: number;
}

function readStep(step: Parameters<Executor>[0]): Upgrade {
  const u: Upgrade = {
    addon: field<string>(step, 'addon', 'string'),
    name: field<string>(step, 'name', 'string'),
    image: field<string>(step, 'image', 'string'),
    oldImage: field<string>(step, 'oldImage', 'string'),
    fromVersion: field<string>(step, 'fromVersion', 'string'),
    dataDir: field<string>(step, 'dataDir', 'string'),
    memoryMb: field<number>(step, 'memoryMb', 'number'),
  };
  // A plan file is input: only a per-add-on data directory and a plain version reach the shell commands.
  if (!/^\d{1,3}$/.test(u.fromVersion) || !/^\/.+\/[a-z][a-z0-9-]{1,40}$/.test(u.dataDir) || !u.dataDir.endsWith(`/${u.addon}`)) {
    throw new Error('plan step container.upgrade: unexpected version or data directory');
  }
  return u;
}

/** `docker run` of a temporary server without network on one data directory of the add-on. */
function tempServer(u: Upgrade, which: 'old' | 'new', pgdata: string, settings: string[]): string {
  return shellJoin(['docker', 'run', '-d', '--name', `${u.name}-upgrade-${which}`, '--network', 'none', '--user', 'postgres',
    '--memory', `${u.memoryMb}m`, '-v', `${u.dataDir}:${CONTAINER_DATA_DIR}`, which === 'old' ? u.oldImage : u.image,
    'postgres', '-D', pgdata, '-c', 'listen_addresses=', '-c', 'unix_socket_directories=/tmp', '-c', 'port=5432',
    '-c', 'archive_mode=off', '-c', 'logging_collector=off', ...settings.flatMap((s) => ['-c', s])]) + ' >/dev/null';
}

async function waitSocket(ctx: ApplyContext, container: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await ctx.host.exec(shellJoin(['docker', 'exec', container, 'pg_isready', '-q', '-h', '/tmp', '-p', '5432']))).code !== 0) {
    if (Date.now() > deadline) {
      const logs = await ctx.host.exec(`docker logs --tail 5 ${shq(container)} 2>&1`);
      throw new Error(`host ${ctx.host.name}: the temporary server ${container} does not answer: ${logs.stdout.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A fresh data directory of the new version in pgdata.upgrade, with the add-on's superuser password. */
async function initStaging(ctx: ApplyContext, u: Upgrade, superuserKey: string): Promise<void> {
  const password = await ctx.keystore.getOrCreatePassword(superuserKey);
  const mount = `${u.dataDir}:${CONTAINER_DATA_DIR}`;
  const staging = `${CONTAINER_DATA_DIR}/${STAGING}`;
  await run(ctx.host, `preparing the new data directory of ${u.addon}`, shellJoin(['docker', 'run', '--rm', '--user', 'root', '--network', 'none', '-v', mount, u.image, 'sh', '-c',
    `rm -rf ${staging} && mkdir ${staging} && chown postgres:postgres ${CONTAINER_DATA_DIR} ${staging} && chmod 700 ${staging}`]));
  await run(ctx.host, `initdb of the new version for ${u.addon}`, shellJoin(['docker', 'run', '--rm', '-i', '--user', 'postgres', '--network', 'none', '-v', mount, u.image, 'sh', '-c',
    `initdb -D ${staging} -U postgres --pwfile=/dev/stdin --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null`]), { stdin: password + '\n' });
}

/** Steps 3 to 5: the data moves into pgdata.upgrade, which becomes pgdata. */
async function moveData(ctx: ApplyContext, u: Upgrade): Promise<void> {
  const [oldC, newC] = [`${u.name}-upgrade-old`, `${u.name}-upgrade-new`];
  await run(ctx.host, `starting ${u.addon}'s PostgreSQL ${u.fromVersion} data without network`, tempServer(u, 'old', PGDATA, []));
  await run(ctx.host, `starting the new data directory of ${u.addon}`, tempServer(u, 'new', `${CONTAINER_DATA_DIR}/${STAGING}`, loadSettings(u.memoryMb)));
  await Promise.all([waitSocket(ctx, oldC), waitSocket(ctx, newC)]);
  ctx.progress(`copying the data of ${u.addon} (pg_dumpall | psql)`);
  const dump = shellJoin(['docker', 'exec', '-u', 'postgres', oldC, 'pg_dumpall', '-h', '/tmp', '-p', '5432']);
  const restore = shellJoin(['docker', 'exec', '-i', '-u', 'postgres', newC, 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '/tmp', '-p', '5432', '-d', 'postgres']);
  await run(ctx.host, `dump and restore of ${u.addon}`, shellJoin(['bash', '-o', 'pipefail', '-c', `${dump} | awk ${shq(SKIP_OWN_ROLE)} | ${restore} >/dev/null`]));
  await run(ctx.host, `stopping the temporary servers of ${u.addon}`, `docker stop -t 300 ${shq(oldC)} ${shq(newC)} >/dev/null && docker rm ${shq(oldC)} ${shq(newC)} >/dev/null`);
  const kept = `${KEPT_PREFIX}${u.fromVersion}`;
  const carry = CARRIED.map((f) => `if [ -f pgdata/${f} ]; then cp pgdata/${f} ${STAGING}/${f} && chown postgres:postgres ${STAGING}/${f}; fi`).join(' && ');
  await run(ctx.host, `switching ${u.addon} to the new data directory`, shellJoin(['docker', 'run', '--rm', '--user', 'root', '--network', 'none',
    '-v', `${u.dataDir}:${CONTAINER_DATA_DIR}`, u.image, 'sh', '-c',
    `cd ${CONTAINER_DATA_DIR} && ${carry} && chmod 600 ${STAGING}/server.key 2>/dev/null; sync && ` +
      `rm -rf ${KEPT_PREFIX}* && mv pgdata ${kept} && mv ${STAGING} pgdata && sync`]));
}

/** After a failure before the switch: no temporary server, no staging directory, the add-on up on its old data. */
async function restoreService(ctx: ApplyContext, u: Upgrade): Promise<void> {
  await ctx.host.exec(`docker rm -f ${shq(`${u.name}-upgrade-old`)} ${shq(`${u.name}-upgrade-new`)} >/dev/null 2>&1; true`);
  const version = (await ctx.host.exec(`cat ${shq(`${u.dataDir}/pgdata/PG_VERSION`)}`)).stdout.trim();
  if (version !== u.fromVersion) return;
  await ctx.host.exec(`rm -rf ${shq(`${u.dataDir}/${STAGING}`)}; docker start ${shq(u.name)} >/dev/null`);
}

const upgrade: Executor = async (step, ctx) => {
  const u = readStep(step);
  if (typeof step.backupEnv === 'string' && typeof step.backupScript === 'string') {
    ctx.progress(`taking a backup of ${u.addon} before its upgrade`);
    const out = await run(ctx.host, `the backup of ${u.addon} before its upgrade`, `${shq(step.backupScript)} ${shq(step.backupEnv)} manual`);
    ctx.progress(`backup ${out.trim().split('\n').pop()} of ${u.addon} taken`);
  }
  await initStaging(ctx, u, field<string>(step, 'superuserKey', 'string'));
  ctx.progress(`stopping ${u.addon} for its upgrade from PostgreSQL ${u.fromVersion}`);
  await ctx.forget(u.addon);
  const down = Date.now();
  // SIGINT: PostgreSQL's fast shutdown (clients disconnected, a clean checkpoint). docker stop's SIGTERM is a smart
  // shutdown that lets connected sessions go on writing until the timeout, then kills: the bench saw 60 s of
  // writes into data already being left behind, then a kill -9.
  await run(ctx.host, `stopping ${u.addon}`, `docker kill -s INT ${shq(u.name)} >/dev/null 2>&1; docker stop -t 60 ${shq(u.name)} >/dev/null`);
  try {
    await moveData(ctx, u);
  } catch (e) {
    await restoreService(ctx, u);
    throw new Error(`the upgrade of ${u.addon} failed; it runs again on PostgreSQL ${u.fromVersion} with its data untouched: ${(e as Error).message}`);
  }
  await ensure({ ...step, type: 'container.ensure' }, ctx);
  ctx.progress(`${u.addon} upgraded from PostgreSQL ${u.fromVersion}: down for ${((Date.now() - down) / 1000).toFixed(1)} s`);
};

export const upgradeExecutors: Record<string, Executor> = { 'container.upgrade': upgrade };
