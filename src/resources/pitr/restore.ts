import type { Config } from '../../config/types.js';
import { addonImage } from '../../config/image.js';
import type { Host } from '../../hosts/host.js';
import { run } from '../../hosts/host.js';
import { UserError } from '../../util/errors.js';
import { shellJoin, shq } from '../../util/shell.js';
import { CONTAINER_DATA_DIR, PGDATA, containerName } from '../desired.js';
import { desiredPitr, pitrContainerParts } from './desired.js';
import { type RestoreTarget, pgTargetTime } from './restore-target.js';
import { wakeCheckpointer } from '../instance/archive-timer.js';
import { maskSecrets, parseLogLine } from '../../logs/jsonlog.js';
import { RESTORE_KEPT_PREFIX } from '../container/gather.js';

// Point-in-time restores. pgBackRest always restores into pgdata.restore beside the data directory, while
// the add-on keeps running. Then:
// - in place (restoreInPlace): the add-on is stopped, pgdata is moved to pgdata.before-restore-TIME (kept, so a
//   wrong restore can be undone by hand) and the restored directory moved in; the add-on's own container
//   replays the WAL to the target and promotes (refusing connections until then: hot_standby off), archiving
//   its new timeline as it always archives. Why not replay in a separate instance first and swap after: that
//   costs a second start and a shutdown checkpoint of the whole restored copy (about 4 s of 18 s at 1 GB),
//   and what clients could still write to the old data meanwhile is lost at the swap anyway. A replay that
//   fails puts the old data directory back and starts the add-on on it, as before the restore.
// - into another add-on or a drill (prepare): a check instance (no TCP listener, no archiving) replays and
//   promotes the copy, and the caller decides what becomes of it.

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
  /** The replaying container's name (default: the restore's check container; a drill names its own). */
  container?: string;
}

export function checkName(addon: string): string {
  return `dbform-${addon}-restore-check`;
}

/** Waits, polling on the host (one exec, every 0.2 s), until PostgreSQL in `name` has promoted; fails with the
 *  container's last log lines when it stops first (a replay that cannot reach its target exits). */
/** `staging`: the copy's directory on the host, whose log says why it stopped. */
async function waitPromoted(w: Pick<Where, 'host' | 'addon' | 'port'>, name: string, staging?: string): Promise<void> {
  const psql = shellJoin(['docker', 'exec', name, 'psql', '-X', '-At', '-h', '/tmp', '-p', String(w.port), '-U', 'postgres', '-d', 'postgres', '-c', 'SELECT pg_is_in_recovery()']);
  // Running and not restarted by Docker's restart policy (the add-on's container has one) since the wait began.
  const state = shellJoin(['docker', 'inspect', '-f', '{{.State.Running}} {{.RestartCount}}', name]);
  // Exit 0: promoted; 2: the container stopped or restarted; 3: still replaying at the deadline.
  const script = [
    `s0=$(${state}) || exit 2; case "$s0" in true*) ;; *) exit 2;; esac; end=$(( $(date +%s) + ${READY_TIMEOUT_MS / 1000} ))`,
    `while [ "$(date +%s)" -lt "$end" ]; do [ "$(${psql} 2>/dev/null)" = f ] && exit 0; [ "$(${state} 2>/dev/null)" = "$s0" ] || exit 2; sleep 0.2; done; exit 3`,
  ].join('\n');
  const r = await w.host.exec(script);
  if (r.code === 0) return;
  if (r.code === 3) throw new UserError(`the restored copy of ${w.addon} did not reach its target within ${READY_TIMEOUT_MS / 1000} s`);
  // Its logging collector writes into the copy's log/ (docker logs has only the redirection's lines).
  const fatal = staging ? await lastFatal(w.host, staging) : undefined;
  const logs = await w.host.exec(`docker logs --tail 4 ${shq(name)} 2>&1`);
  throw new UserError(`the restored copy of ${w.addon} did not start: ${fatal ?? logs.stdout.trim().split('\n').join(' | ')}`);
}

/** `docker run` of the add-on's image as its postgres user, with its data directory and PITR mounts. */
function inImage(w: Where, options: string[], command: string[]): string {
  const volumes = ['-v', `${w.dataDir}:${CONTAINER_DATA_DIR}`, ...w.mounts.flatMap((m) => ['-v', m])];
  return shellJoin(['docker', 'run', ...options, '--network', 'host', '--user', 'postgres', ...volumes, w.image, ...command]);
}

/** pgBackRest restore into `staging` beside the data directory (an earlier attempt's leftovers removed first).
 *  `recoveryOptions`: extra settings pgBackRest writes into the copy's postgresql.auto.conf. */
async function restoreBeside(w: Where, target: RestoreTarget, staging: string, recoveryOptions: Record<string, string> = {}): Promise<void> {
  const targetArgs = target.kind === 'latest' ? ['--type=default'] : ['--type=time', `--target=${pgTargetTime(target.iso)}`, '--target-action=promote'];
  const options = Object.entries(recoveryOptions).map(([k, v]) => `--recovery-option=${k}=${v}`);
  await run(w.host, `removing an earlier restore attempt of ${w.addon}`, `rm -rf ${shq(`${w.dataDir}/pgdata.restore`)}`);
  const restore = shellJoin(['pgbackrest', `--stanza=${w.stanza}`, `--pg1-path=${staging}`, ...targetArgs, ...options, 'restore']);
  await run(w.host, `pgbackrest restore of ${w.addon}`, inImage(w, ['--rm'], ['sh', '-c', `mkdir -m 700 ${staging} && ${restore}`]));
}

/** pgBackRest restore into pgdata.restore, then the check instance replays and promotes it (not archiving). */
/** `afterPromote`: SQL run (on psql's stdin, as the superuser) in the promoted copy before it stops; `settings`:
 *  the replay's PostgreSQL settings besides (or instead of) these. */
export async function prepare(w: Where, target: RestoreTarget, staging: string, afterPromote?: string, settings: Record<string, string> = {}): Promise<void> {
  const check = w.container ?? checkName(w.addon);
  await w.host.exec(`docker rm -f ${shq(check)} >/dev/null 2>&1`);
  await restoreBeside(w, target, staging);
  // No TCP listener (clients keep reaching the add-on), its own socket directory (the container's /tmp).
  // hot_standby off: nothing connects during the replay, and PostgreSQL then does not refuse to replay WAL of a
  // primary with more max_connections than its default 100 (every plan from 1 GB up).
  const all = { listen_addresses: '', port: String(w.port), unix_socket_directories: '/tmp', hot_standby: 'off', archive_mode: 'off', ...settings };
  const postgres = ['postgres', '-D', staging, ...Object.entries(all).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  await run(w.host, `starting the restored copy of ${w.addon}`, inImage(w, ['-d', '--name', check], postgres) + ' >/dev/null');
  await waitPromoted(w, check, `${w.dataDir}/${staging.slice(CONTAINER_DATA_DIR.length + 1)}`);
  if (afterPromote) {
    const psql = ['docker', 'exec', '-i', check, 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '/tmp', '-p', String(w.port), '-U', 'postgres', '-d', 'postgres'];
    await run(w.host, `preparing the restored copy as ${w.addon}`, shellJoin(psql) + ' >/dev/null', { stdin: afterPromote });
  }
  await run(w.host, `stopping the restored copy of ${w.addon}`, `docker stop -t 60 ${shq(check)} >/dev/null && docker rm ${shq(check)} >/dev/null`);
}

/** pgBackRest's settings for a copy that the add-on's own container replays: fetch WAL as the add-on archives it
 *  (the default restore_command would name pgdata.restore, where the copy no longer is), and refuse connections
 *  until promoted (clients must not read a half-replayed past). restoreInPlace resets them once promoted. */
function replayInAddon(addon: string): Record<string, string> {
  return { restore_command: `pgbackrest --stanza=${addon} archive-get %f "%p"`, hot_standby: 'off' };
}

/** Why the add-on's PostgreSQL stopped: the last FATAL or PANIC of its jsonlog (its logging collector writes
 *  into the data directory, not to Docker's log), or undefined when there is none. */
async function lastFatal(host: Host, pgdata: string): Promise<string | undefined> {
  const newest = `$(ls -t ${shq(pgdata)}/log/postgresql-*.json 2>/dev/null | head -1)`;
  // The server's own processes only: while it replays, every client that tries to connect also logs a FATAL
  // ("the database system is starting up"), which says nothing about why the replay failed.
  const r = await host.exec(`f=${newest}; [ -n "$f" ] && grep -E '"error_severity":"(FATAL|PANIC)"' "$f" | grep -E '"backend_type":"(startup|postmaster)"' | tail -1`);
  const entry = parseLogLine(r.stdout.trim());
  return entry?.message && `${entry.error_severity}: ${maskSecrets(entry.message)}`;
}

/** Recovery settings pgBackRest may have written into postgresql.auto.conf, for ALTER SYSTEM RESET. */
export const RECOVERY_SETTINGS = ['restore_command', 'hot_standby', 'recovery_target_time', 'recovery_target_action'];

export async function restoreInPlace(config: Config, host: Host, addon: string, target: RestoreTarget, progress: (m: string) => void): Promise<RestoreReport> {
  const declared = config.addons.find((a) => a.name === addon)!;
  const hostCfg = config.hosts.find((h) => h.name === host.name)!;
  const w: Where = {
    host, addon, stanza: addon, port: declared.port, image: addonImage(config, declared), dataDir: `${hostCfg.dataDir}/${addon}`,
    mounts: pitrContainerParts(desiredPitr(config, declared, hostCfg)).mounts,
  };
  const t0 = Date.now();
  const staging = `${w.dataDir}/pgdata.restore`;
  try {
    progress(`restoring the base backup of ${addon} beside its data directory (the add-on keeps running)`);
    await restoreBeside(w, target, `${PGDATA}.restore`, replayInAddon(addon));
  } catch (e) {
    await host.exec(`rm -rf ${shq(staging)}`);
    throw new UserError(`restore of ${addon} failed; the add-on was not touched and runs as before: ${(e as Error).message}`);
  }
  const live = `${w.dataDir}/pgdata`;
  // A lost disk (the RPO case): nothing to keep, and the container (stopped or killed) starts on the restored data.
  const hadData = (await host.exec(`test -d ${shq(live)}`)).code === 0;
  const keptAs = hadData ? `${w.dataDir}/${RESTORE_KEPT_PREFIX}${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}` : null;
  const name = containerName(addon);
  progress(`stopping ${addon} and swapping in the restored data; ${addon} replays the WAL to the target, then promotes`);
  await run(host, `stopping ${name}`, `docker stop -t 30 ${shq(name)} >/dev/null`);
  const keep = keptAs ? `mv ${shq(live)} ${shq(keptAs)} && ` : '';
  await run(host, 'swapping the data directories', `${keep}mv ${shq(staging)} ${shq(live)}`);
  try {
    await run(host, `starting ${name}`, `docker start ${shq(name)} >/dev/null`);
    await waitPromoted(w, name);
  } catch (e) {
    const why = (await lastFatal(host, live)) ?? (e as Error).message;
    // Back to the data it had: the add-on runs as before the restore.
    const putBack = keptAs ? ` && mv ${shq(keptAs)} ${shq(live)} && docker start ${shq(name)} >/dev/null` : '';
    await host.exec(`docker stop -t 30 ${shq(name)} >/dev/null 2>&1; rm -rf ${shq(live)}${putBack}`);
    const state = keptAs ? 'its previous data is back in place and it runs on it' : 'it had no data directory before and has none now';
    throw new UserError(`restore of ${addon} failed while replaying to the target; ${state}: ${why}`);
  }
  await wakeCheckpointer(host, name, declared.port, [...RECOVERY_SETTINGS.map((k) => `ALTER SYSTEM RESET ${k}`), 'SELECT pg_reload_conf()']);
  await closingFullBackup(host, addon, progress);
  return { keptAs, seconds: (Date.now() - t0) / 1000 };
}

/** The restored add-on (a cluster: its primary) runs on a new timeline. pgBackRest starts a later restore from the newest base backup
 *  before its target: one taken after this restore's target on the timeline it left (the weekly full, say)
 *  would not lead to the new timeline (PostgreSQL refuses a target timeline that is not a child of the
 *  backup's), so a full base backup on the new timeline is taken now. The data is restored either way. */
export async function closingFullBackup(host: Host, addon: string, progress: (m: string) => void): Promise<void> {
  progress(`taking a full base backup of the restored ${addon}, so that later restores start from its timeline`);
  const r = await host.exec(shellJoin(['docker', 'exec', '-u', 'postgres', containerName(addon), 'pgbackrest', `--stanza=${addon}`, '--type=full', 'backup']));
  if (r.code !== 0) {
    const why = r.stderr.trim().split('\n').slice(-2).join(' ') || `exit ${r.code}`;
    throw new UserError(`restore of ${addon}: the data is restored and ${addon} runs on it, but the full base backup after it failed (${why}); until one succeeds (the weekly one), a later restore to a time after now may fail`);
  }
}
