import type { Config } from '../../config/types.js';
import { addonImage } from '../../config/image.js';
import type { Host } from '../../hosts/host.js';
import { run } from '../../hosts/host.js';
import { UserError } from '../../util/errors.js';
import { shellJoin, shq } from '../../util/shell.js';
import { CONTAINER_DATA_DIR, PGDATA, containerName } from '../desired.js';
import { desiredPitr, pitrContainerParts } from './desired.js';
import { type RestoreTarget, pgTargetTime } from './restore-target.js';
import { archiveSettings } from './settings.js';
import { wakeCheckpointer } from '../instance/archive-timer.js';

// Restores an add-on in place to a point in time, safely: pgBackRest restores into pgdata.restore beside the
// live pgdata while the add-on keeps running; a check instance (no TCP listener) replays the WAL to the target
// and promotes, archiving its new timeline to the stanza as the add-on will; only then is the add-on stopped,
// pgdata moved to pgdata.before-restore-TIME (kept, so a wrong restore can be undone by hand) and the restored
// directory moved in. Anything failing before the swap leaves the add-on exactly as it was, running.

const READY_TIMEOUT_MS = 600_000;

export interface RestoreReport {
  /** Where the data directory the restore replaced was kept; null when there was none (the disk was lost). */
  keptAs: string | null;
  seconds: number;
}

/** Where a restored copy is prepared: the add-on it becomes, from which stanza, with which mounts. */
export interface Where {
  host: Host;
  /** The add-on whose data directory receives the copy. */
  addon: string;
  /** The stanza restored from (the add-on itself in place; the source add-on with --into). */
  stanza: string;
  port: number;
  image: string;
  /** The add-on's directory on the host (its pgdata and the copy beside it). */
  dataDir: string;
  /** pgBackRest's settings (and a directory repository) for the restore container. */
  mounts: string[];
  /** Whether the promoted copy archives its new timeline to the add-on's own stanza (in place: yes). */
  archive: boolean;
  /** The replaying container's name (default: the restore's check container; a drill names its own). */
  container?: string;
}

export function checkName(addon: string): string {
  return `dbform-${addon}-restore-check`;
}

async function waitPromoted(w: Where, name: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const sql = shellJoin(['docker', 'exec', name, 'psql', '-X', '-At', '-h', '/tmp', '-p', String(w.port), '-U', 'postgres', '-d', 'postgres', '-c', 'SELECT pg_is_in_recovery()']);
  for (;;) {
    const r = await w.host.exec(sql);
    if (r.code === 0 && r.stdout.trim() === 'f') return;
    const state = await w.host.exec(shellJoin(['docker', 'inspect', '-f', '{{.State.Status}}', name]));
    if (state.stdout.trim() !== 'running') {
      const logs = await w.host.exec(`docker logs --tail 4 ${shq(name)} 2>&1`);
      throw new UserError(`the restored copy of ${w.addon} did not start: ${logs.stdout.trim().split('\n').join(' | ')}`);
    }
    if (Date.now() > deadline) throw new UserError(`the restored copy of ${w.addon} did not reach its target within ${READY_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `docker run` of the add-on's image as its postgres user, with its data directory and PITR mounts. */
function inImage(w: Where, options: string[], command: string[]): string {
  const volumes = ['-v', `${w.dataDir}:${CONTAINER_DATA_DIR}`, ...w.mounts.flatMap((m) => ['-v', m])];
  return shellJoin(['docker', 'run', ...options, '--network', 'host', '--user', 'postgres', ...volumes, w.image, ...command]);
}

/** pgBackRest restore into pgdata.restore, then the check instance replays and promotes it. */
/** `afterPromote`: SQL run (on psql's stdin, as the superuser) in the promoted copy before it stops. */
export async function prepare(w: Where, target: RestoreTarget, staging: string, afterPromote?: string): Promise<void> {
  const check = w.container ?? checkName(w.addon);
  const targetArgs = target.kind === 'latest' ? ['--type=default'] : ['--type=time', `--target=${pgTargetTime(target.iso)}`, '--target-action=promote'];
  await run(w.host, `removing an earlier restore attempt of ${w.addon}`, `docker rm -f ${shq(check)} >/dev/null 2>&1; rm -rf ${shq(`${w.dataDir}/pgdata.restore`)}`);
  const restore = shellJoin(['pgbackrest', `--stanza=${w.stanza}`, `--pg1-path=${staging}`, ...targetArgs, 'restore']);
  await run(w.host, `pgbackrest restore of ${w.addon}`, inImage(w, ['--rm'], ['sh', '-c', `mkdir -m 700 ${staging} && ${restore}`]));
  // No TCP listener (clients keep reaching the add-on), its own socket directory (the container's /tmp).
  const archive = w.archive ? archiveSettings(w.addon, staging) : { archive_mode: 'off' };
  // hot_standby off: nothing connects during the replay, and PostgreSQL then does not refuse to replay WAL of a
  // primary with more max_connections than its default 100 (every plan from 1 GB up).
  const settings = { listen_addresses: '', port: String(w.port), unix_socket_directories: '/tmp', hot_standby: 'off', ...archive };
  const postgres = ['postgres', '-D', staging, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  await run(w.host, `starting the restored copy of ${w.addon}`, inImage(w, ['-d', '--name', check], postgres) + ' >/dev/null');
  await waitPromoted(w, check);
  if (afterPromote) {
    const psql = ['docker', 'exec', '-i', check, 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '/tmp', '-p', String(w.port), '-U', 'postgres', '-d', 'postgres'];
    await run(w.host, `preparing the restored copy as ${w.addon}`, shellJoin(psql) + ' >/dev/null', { stdin: afterPromote });
  }
  await run(w.host, `stopping the restored copy of ${w.addon}`, `docker stop -t 60 ${shq(check)} >/dev/null && docker rm ${shq(check)} >/dev/null`);
}

export async function restoreInPlace(config: Config, host: Host, addon: string, target: RestoreTarget, progress: (m: string) => void): Promise<RestoreReport> {
  const declared = config.addons.find((a) => a.name === addon)!;
  const hostCfg = config.hosts.find((h) => h.name === host.name)!;
  const w: Where = {
    host, addon, stanza: addon, port: declared.port, image: addonImage(config, declared), dataDir: `${hostCfg.dataDir}/${addon}`,
    mounts: pitrContainerParts(desiredPitr(config, declared, hostCfg)).mounts, archive: true,
  };
  const t0 = Date.now();
  const staging = `${PGDATA}.restore`;
  try {
    progress(`restoring ${addon} beside its data directory (the add-on keeps running)`);
    await prepare(w, target, staging);
  } catch (e) {
    await host.exec(`docker rm -f ${shq(checkName(addon))} >/dev/null 2>&1; rm -rf ${shq(`${w.dataDir}/pgdata.restore`)}`);
    throw new UserError(`restore of ${addon} failed; the add-on was not touched and runs as before: ${(e as Error).message}`);
  }
  const live = `${w.dataDir}/pgdata`;
  // A lost disk (the RPO case): nothing to keep, and the container (stopped or killed) starts on the restored data.
  const hadData = (await host.exec(`test -d ${shq(live)}`)).code === 0;
  const keptAs = hadData ? `${w.dataDir}/pgdata.before-restore-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}` : null;
  const name = containerName(addon);
  progress(`swapping in the restored data of ${addon}`);
  await run(host, `stopping ${name}`, `docker stop -t 30 ${shq(name)} >/dev/null`);
  const keep = keptAs ? `mv ${shq(live)} ${shq(keptAs)} && ` : '';
  await run(host, 'swapping the data directories', `${keep}mv ${shq(`${w.dataDir}/pgdata.restore`)} ${shq(live)}`);
  const started = await host.exec(`docker start ${shq(name)} >/dev/null && sleep 1 && docker exec ${shq(name)} pg_isready -q -t 60 -h /tmp -p ${declared.port}`);
  if (started.code !== 0) {
    // Back to the data it had: the add-on runs as before the restore.
    const putBack = keptAs ? ` && mv ${shq(keptAs)} ${shq(live)} && docker start ${shq(name)} >/dev/null` : '';
    await host.exec(`docker stop -t 30 ${shq(name)} >/dev/null 2>&1; rm -rf ${shq(`${w.dataDir}/pgdata.restore`)}; mv ${shq(live)} ${shq(`${w.dataDir}/pgdata.restore`)}${putBack}`);
    const state = keptAs ? 'its previous data is back in place' : 'it had no data directory before and has none now';
    throw new UserError(`restore of ${addon} failed at its start on the restored data; ${state}: ${started.stderr.trim()}`);
  }
  await wakeCheckpointer(host, name, declared.port);
  return { keptAs, seconds: (Date.now() - t0) / 1000 };
}
