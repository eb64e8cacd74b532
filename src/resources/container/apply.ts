import { run } from '../../hosts/host.js';
import type { ApplyContext, Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { shellJoin, shq } from '../../util/shell.js';
import { ADDON_LABEL, MANAGED_LABEL } from './gather.js';
import { CONTAINER_DATA_DIR, PGDATA } from '../desired.js';
import { hostPgdata } from '../data-files.js';
import { backupConfDir, cronPath } from '../backups/settings.js';
import { guardCronPath, guardStateDir } from '../diskguard/settings.js';
import { pitrCronPath } from '../pitr/settings.js';
import { installServerCert } from '../tls/apply.js';
import { wakeCheckpointer } from '../instance/archive-timer.js';
import { RELOADABLE_SETTINGS, reloadableValue } from './log-settings.js';

// Executors of the container kind. Every one is idempotent: re-running after a failure converges.

async function initDataDir(ctx: ApplyContext, image: string, dataDir: string, superuserKey: string, addon: string, hba: string) {
  const initialized = await ctx.host.exec(`test -s ${shq(`${dataDir}/pgdata/PG_VERSION`)}`);
  if (initialized.code === 0) return;
  // No pgdata but a major upgrade's directories (stopped between its two renames): never initdb over that
  // (pgdata.init, initdb's own staging below, does not count).
  const upgrading = await ctx.host.exec(`ls -d ${shq(dataDir)}/pgdata.pg* ${shq(dataDir)}/pgdata.upgrade 2>/dev/null`);
  if (upgrading.stdout.trim()) {
    throw new Error(`host ${ctx.host.name}: ${addon} has no ${dataDir}/pgdata but ${upgrading.stdout.trim().split('\n').join(', ')}: ` +
      'a major upgrade was interrupted; put the right one back as pgdata (README: "Rolling back a major upgrade"), then apply again');
  }
  ctx.progress(`initializing the data directory of ${addon}`);
  const password = await ctx.keystore.getOrCreatePassword(superuserKey);
  const mount = `${dataDir}:${CONTAINER_DATA_DIR}`;
  await run(ctx.host, `preparing ${dataDir}`, `mkdir -p ${shq(dataDir)}`);
  // initdb writes into pgdata.init, renamed at the very end: an apply killed mid-way leaves no
  // half-initialized pgdata that a later apply would mistake for a cluster.
  const staging = `${PGDATA}.init`;
  await run(
    ctx.host,
    `preparing the data directory of ${addon}`,
    shellJoin(['docker', 'run', '--rm', '--user', 'root', '--network', 'none', '-v', mount, image, 'sh', '-c',
      `rm -rf ${staging} && mkdir -p ${staging} && chown -R postgres:postgres ${CONTAINER_DATA_DIR} && chmod 700 ${staging}`]),
  );
  // The superuser password reaches initdb on stdin: never in argv, env or a file on the host.
  await run(
    ctx.host,
    `initdb for ${addon}`,
    shellJoin(['docker', 'run', '--rm', '-i', '--user', 'postgres', '--network', 'none', '-v', mount, image, 'sh', '-c',
      `initdb -D ${staging} -U postgres --pwfile=/dev/stdin --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null && printf %s "$0" > ${staging}/pg_hba.conf && sync && rm -rf ${PGDATA} && mv ${staging} ${PGDATA}`,
      hba]),
    { stdin: password + '\n' },
  );
}

async function waitReady(ctx: ApplyContext, name: string, port: number, addon: string) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const r = await ctx.host.exec(shellJoin(['docker', 'exec', name, 'pg_isready', '-q', '-h', '/tmp', '-p', port]));
    if (r.code === 0) return wakeCheckpointer(ctx.host, name, port);
    const state = await ctx.host.exec(shellJoin(['docker', 'inspect', '-f', '{{.State.Status}}', name]));
    if (state.stdout.trim() === 'exited' || state.stdout.trim() === 'dead') {
      const logs = await ctx.host.exec(`docker logs --tail 5 ${shq(name)} 2>&1`);
      throw new Error(`host ${ctx.host.name}: PostgreSQL of ${addon} exited at start: ${logs.stdout.trim()}`);
    }
    if (Date.now() > deadline) throw new Error(`host ${ctx.host.name}: PostgreSQL of ${addon} is not ready after 120 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The step's extra bind mounts, refused unless each is "ABSOLUTE:ABSOLUTE[:ro]" (a plan file is input). */
function stepMounts(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((m) => typeof m === 'string' && /^\/[^:\0]+:\/[^:\0]+(:ro)?$/.test(m))) {
    throw new Error('plan step container.ensure: field mounts is not a list of HOST:CONTAINER[:ro] paths');
  }
  return value as string[];
}

/** The pgBackRest settings and repository bound into the container belong to its image's postgres user, whose
 *  uid differs between images (15: 102, 17: 100): the image about to run names its own (a major upgrade, its
 *  rollback). Done with no container of the add-on running. */
async function ownMountsFor(ctx: ApplyContext, image: string, mounts: string[]): Promise<void> {
  if (!mounts.length) return;
  const rw = mounts.map((m) => m.replace(/:ro$/, ''));
  const targets = rw.map((m) => m.slice(m.indexOf(':') + 1));
  // Only what another uid owns is changed: a local repository can hold many files, all already right.
  const script = 'find "$@" \\( ! -user postgres -o ! -group postgres \\) -exec chown -h postgres:postgres {} +';
  await run(ctx.host, 'handing the pgBackRest settings to the image', shellJoin(['docker', 'run', '--rm', '--user', 'root', '--network', 'none',
    ...rw.flatMap((m) => ['-v', m]), image, 'sh', '-c', script, 'sh', ...targets]));
}

export const ensure: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const name = field<string>(step, 'name', 'string');
  const image = field<string>(step, 'image', 'string');
  const memoryMb = field<number>(step, 'memoryMb', 'number');
  const port = field<number>(step, 'port', 'number');
  const dataDir = field<string>(step, 'dataDir', 'string');
  const settings = field<Record<string, string>>(step, 'settings', 'object');
  const mounts = stepMounts(step.mounts);
  await initDataDir(ctx, image, dataDir, field<string>(step, 'superuserKey', 'string'), addon, field<string>(step, 'hba', 'string'));
  // ssl=on needs the certificate before PostgreSQL starts; renewals later happen without a restart.
  if ((await ctx.host.exec(`test -s ${shq(`${hostPgdata(dataDir)}/server.crt`)}`)).code !== 0) {
    const names = step.tlsNames as string[];
    await installServerCert(ctx, addon, dataDir, names);
  }
  await ctx.forget(addon);
  await run(ctx.host, `removing the old container of ${addon}`, `docker rm -f ${shq(name)} >/dev/null 2>&1; true`);
  await ownMountsFor(ctx, image, mounts);
  const args = ['docker', 'run', '-d', '--name', name,
    '--label', `${MANAGED_LABEL}=true`, '--label', `${ADDON_LABEL}=${addon}`,
    // Host networking: clients' real addresses reach pg_hba (allowedIps), and no userland proxy sits in between.
    '--network', 'host',
    '--memory', `${memoryMb}m`, '--memory-swap', `${memoryMb}m`, '--shm-size', `${Math.max(64, Math.floor(memoryMb / 4))}m`,
    '--restart', 'unless-stopped', '--stop-timeout', '30',
    '-v', `${dataDir}:${CONTAINER_DATA_DIR}`,
    ...mounts.flatMap((m) => ['-v', m]),
    image, 'postgres', '-D', PGDATA,
    ...Object.keys(settings).sort().filter((k) => !RELOADABLE_SETTINGS.has(k)).flatMap((k) => ['-c', `${k}=${settings[k]}`])];
  ctx.progress(`starting ${name} (${memoryMb} MB, port ${port})`);
  await run(ctx.host, `starting the container of ${addon}`, shellJoin(args) + ' >/dev/null');
  await waitReady(ctx, name, port, addon);
  await alterSystem(ctx, addon, name, port, Object.fromEntries(Object.entries(settings).filter(([k]) => RELOADABLE_SETTINGS.has(k))));
};

/** Sets reloadable settings with ALTER SYSTEM (kept in postgresql.auto.conf) and reloads, as the superuser
 *  over the container's local socket (peer authentication: no password). */
async function alterSystem(ctx: ApplyContext, addon: string, name: string, port: number, settings: Record<string, unknown>): Promise<void> {
  const keys = Object.keys(settings).sort();
  if (keys.length === 0) return;
  const statements = keys.map((k) => `ALTER SYSTEM SET ${k} = '${reloadableValue(k, settings[k])}'`);
  const psql = ['docker', 'exec', '--user', 'postgres', name, 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '/tmp', '-p', port, '-d', 'postgres'];
  await run(ctx.host, `setting ${keys.join(', ')} of ${addon}`, shellJoin([...psql, ...[...statements, 'SELECT pg_reload_conf()'].flatMap((c) => ['-c', c])]) + ' >/dev/null');
}

const reload: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const settings = field<Record<string, unknown>>(step, 'settings', 'object');
  ctx.progress(`reloading ${Object.keys(settings).sort().join(', ')} of ${addon}`);
  await alterSystem(ctx, addon, field<string>(step, 'name', 'string'), field<number>(step, 'port', 'number'), settings);
};

const start: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const name = field<string>(step, 'name', 'string');
  await ctx.forget(addon);
  await run(ctx.host, `starting the container of ${addon}`, `docker start ${shq(name)} >/dev/null`);
  await waitReady(ctx, name, field<number>(step, 'port', 'number'), addon);
};

const remove: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const dataDir = field<string>(step, 'dataDir', 'string');
  await ctx.forget(addon);
  await run(ctx.host, `removing the container of ${addon}`, `docker rm -f ${shq(field<string>(step, 'name', 'string'))} >/dev/null 2>&1; true`);
  // Refuse anything but a per-add-on directory: a tampered plan must not be able to `rm -rf /`.
  if (dataDir && /^\/.+\/[a-z][a-z0-9-]{1,40}$/.test(dataDir) && dataDir.endsWith(`/${addon}`)) {
    // Its schedule and backup settings go too; the backups already taken stay in their storage.
    const hostDataDir = dataDir.slice(0, -addon.length - 1);
    const conf = backupConfDir(hostDataDir, addon);
    // Its PITR settings and schedule too (the WAL archive and base backups stay in their storage).
    const pitr = `${hostDataDir}/.pitr/${addon}`;
    // And its disk-full guard (its cron file first: a run in between would only find no container).
    const guard = guardStateDir(hostDataDir, addon);
    // A data directory that is a mount point is an encrypted volume's: its removal, after this change, unmounts
    // and deletes it (rm -rf here would empty it, then fail on the busy mount point and stop the removal).
    const dataUnlessMounted = `if ! awk -v d=${shq(dataDir)} '$2 == d { found = 1 } END { exit !found }' /proc/mounts; then rm -rf ${shq(dataDir)}; fi`;
    // An instance giving way to a cluster's member (keepSettings) leaves the backup and PITR settings, which the
    // cluster's own changes in this plan judged as they are; the disk guard is a single instance's only.
    const settings = step.keepSettings === true ? '' : ` && rm -rf ${shq(conf)} ${shq(pitr)} && rm -f ${shq(cronPath(addon))} ${shq(pitrCronPath(addon))}`;
    await run(ctx.host, `deleting the data of ${addon}`, `rm -f ${shq(guardCronPath(addon))} && ${dataUnlessMounted} && rm -rf ${shq(guard)}${settings}`);
  }
};

export const containerExecutors: Record<string, Executor> = {
  'container.ensure': ensure,
  'container.start': start,
  'container.remove': remove,
  'container.reload': reload,
};
