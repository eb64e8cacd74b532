import { haPorts } from '../../config/ha-check.js';
import { addonImage } from '../../config/image.js';
import type { Config } from '../../config/types.js';
import type { Host } from '../../hosts/host.js';
import { run } from '../../hosts/host.js';
import { UserError } from '../../util/errors.js';
import { shellJoin, shq } from '../../util/shell.js';
import { RESTORE_KEPT_PREFIX } from '../container/gather.js';
import { PGDATA, containerName } from '../desired.js';
import { deleteClusterState } from '../ha/dcs-keys.js';
import { PATRONI_CURL_TLS } from '../ha/tls.js';
import { wakeCheckpointer } from '../instance/archive-timer.js';
import { memberArchiving } from './cluster.js';
import { RECOVERY_SETTINGS, type RestoreReport, type Where, closingFullBackup, prepare } from './restore.js';
import type { RestoreTarget } from './restore-target.js';

// Point-in-time restore of a highly available add-on, in place. Patroni must not see a half-replayed copy (it
// would start it as a replica and promote it as soon as it holds the leader key, before the target is reached),
// so the replay happens first, outside Patroni, while the cluster keeps serving:
// 1. pgBackRest restores the base backup beside the preferred member's data directory and a check instance (no
//    TCP listener) replays the WAL to the target and promotes: a new timeline, whose history file and WAL it
//    archives to the stanza itself (pg1-path names the copy), so a later restore can follow that timeline.
// 2. Both members stop; the cluster's keys in the consensus store are deleted (its leader, members, and the
//    initialize key, which holds the system identifier: the restored copy's is the same, but its history differs).
// 3. The preferred member's data directory is kept as pgdata.before-restore-TIME and the copy moved in; the other
//    member's is removed (it is a copy of the same past: the synchronous replica had every commit).
// 4. The preferred member starts: Patroni takes the cluster afresh from the existing data directory (initialize
//    key, its configuration from patroni.yml) and leads; the other member starts empty and clones it
//    (pg_basebackup), then streams as the synchronous replica again.

const PRIMARY_WAIT_S = 120;
const REPLICA_WAIT_S = 300;

export interface ClusterMember {
  host: Host;
  /** The host's data directory (the member's is DATADIR/ADDON). */
  dataDir: string;
}

/** Polls a member's local Patroni API (in its container) until `path` answers 200, up to `seconds`. */
async function apiAnswers(host: Host, addon: string, apiPort: number, path: string, seconds: number): Promise<boolean> {
  const curl = shellJoin(['curl', '-sf', '-m', '1', '-o', '/dev/null', ...PATRONI_CURL_TLS, `https://127.0.0.1:${apiPort}${path}`]);
  const loop = `i=0; while [ $i -lt ${seconds * 2} ]; do ${curl} && exit 0; i=$((i+1)); sleep 0.5; done; exit 1`;
  return (await host.exec(shellJoin(['docker', 'exec', containerName(addon), 'sh', '-c', loop]))).code === 0;
}

async function logTail(host: Host, addon: string): Promise<string> {
  return (await host.exec(`docker logs --tail 4 ${shq(containerName(addon))} 2>&1`)).stdout.trim().split('\n').join(' | ');
}

/** What a check instance replaying a copy of a cluster member overrides: the copy's postgresql.conf is Patroni's,
 *  written for the member it was taken on (its pg_hba.conf in the live data directory, its certificate, a
 *  synchronous standby that the end of recovery must not wait for). No TCP listener: no TLS either. */
export function patroniCopySettings(staging: string): Record<string, string> {
  return { hba_file: `${staging}/pg_hba.conf`, ident_file: `${staging}/pg_ident.conf`, synchronous_standby_names: '', ssl: 'off' };
}

/** Shell: makes a copy of a cluster member an ordinary data directory: Patroni keeps the original postgresql.conf
 *  as postgresql.base.conf and writes its own (members' certificates, settings) in its place. */
export function unPatroniCommand(pgdata: string): string {
  const base = shq(`${pgdata}/postgresql.base.conf`);
  return `if [ -f ${base} ]; then mv ${base} ${shq(`${pgdata}/postgresql.conf`)}; fi && rm -f ${shq(`${pgdata}/patroni.dynamic.json`)}`;
}

/** Step 1: the copy, replayed to the target and promoted, beside the preferred member's data directory. */
async function replayBeside(config: Config, addon: string, preferred: ClusterMember, target: RestoreTarget): Promise<void> {
  const declared = config.addons.find((a) => a.name === addon)!;
  const staging = `${PGDATA}.restore`;
  const w: Where = {
    host: preferred.host, addon, stanza: addon, port: haPorts(declared.port).postgres, image: addonImage(config, declared),
    dataDir: `${preferred.dataDir}/${addon}`, mounts: memberArchiving(config, declared, preferred.host.name).mounts,
  };
  // Archiving as the stanza's pg1-path the copy (its history file and new timeline reach the repository).
  const settings = { ...patroniCopySettings(staging), archive_mode: 'on', archive_command: `pgbackrest --stanza=${addon} --pg1-path=${staging} archive-push %p` };
  const reset = RECOVERY_SETTINGS.map((k) => `ALTER SYSTEM RESET ${k};`).join('\n') + '\n';
  try {
    await prepare(w, target, staging, reset, settings);
  } catch (e) {
    await preferred.host.exec(`rm -rf ${shq(`${w.dataDir}/pgdata.restore`)}`);
    throw new UserError(`restore of ${addon} failed; the cluster was not touched and runs as before: ${(e as Error).message}`);
  }
}

export async function restoreClusterInPlace(config: Config, members: ClusterMember[], addon: string, target: RestoreTarget, progress: (m: string) => void): Promise<RestoreReport> {
  const declared = config.addons.find((a) => a.name === addon)!;
  const { api } = haPorts(declared.port);
  const [preferred, ...others] = members as [ClusterMember, ...ClusterMember[]];
  const name = containerName(addon);
  const dir = (m: ClusterMember) => `${m.dataDir}/${addon}`;
  const t0 = Date.now();
  progress(`restoring the base backup of ${addon} beside its data directory on ${preferred.host.name} and replaying it to the target (the cluster keeps running)`);
  await replayBeside(config, addon, preferred, target);

  progress(`stopping both members of ${addon} and clearing its state in the consensus store`);
  await Promise.all(members.map((m) => run(m.host, `stopping ${name}`, `docker stop -t 30 ${shq(name)} >/dev/null`)));
  if (!(await deleteClusterState(preferred.host, dir(preferred), addon, addonImage(config, declared)))) {
    await Promise.all(members.map((m) => m.host.exec(`docker start ${shq(name)} >/dev/null`)));
    await preferred.host.exec(`rm -rf ${shq(`${dir(preferred)}/pgdata.restore`)}`);
    throw new UserError(`restore of ${addon} failed: the consensus store does not answer, so its members were started again on their data, as before`);
  }
  const live = `${dir(preferred)}/pgdata`;
  const hadData = (await preferred.host.exec(`test -d ${shq(live)}`)).code === 0;
  const keptAs = hadData ? `${dir(preferred)}/${RESTORE_KEPT_PREFIX}${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}` : null;
  await run(preferred.host, 'swapping the data directories', `${keptAs ? `mv ${shq(live)} ${shq(keptAs)} && ` : ''}mv ${shq(`${dir(preferred)}/pgdata.restore`)} ${shq(live)}`);
  await Promise.all(others.map((m) => run(m.host, `removing the replica's data of ${addon} (it clones the restored primary)`, `rm -rf ${shq(`${dir(m)}/pgdata`)}`)));

  progress(`starting ${addon} on ${preferred.host.name} on the restored data`);
  await run(preferred.host, `starting ${name}`, `docker start ${shq(name)} >/dev/null`);
  if (!(await apiAnswers(preferred.host, addon, api, '/primary', PRIMARY_WAIT_S))) {
    const kept = keptAs ? ` Its previous data directory is kept as ${keptAs}.` : '';
    throw new UserError(`restore of ${addon}: the restored member on ${preferred.host.name} did not become the primary within ${PRIMARY_WAIT_S} s: ${await logTail(preferred.host, addon)}.${kept}`);
  }
  await wakeCheckpointer(preferred.host, name, haPorts(declared.port).postgres);
  progress(`starting the other member${others.length > 1 ? 's' : ''} of ${addon}: ${others.length > 1 ? 'they clone' : 'it clones'} the restored primary`);
  await Promise.all(others.map((m) => run(m.host, `starting ${name}`, `docker start ${shq(name)} >/dev/null`)));
  for (const m of others) {
    if (!(await apiAnswers(m.host, addon, api, '/sync', REPLICA_WAIT_S))) {
      throw new UserError(`restore of ${addon}: the data is restored on ${preferred.host.name}, but the member on ${m.host.name} is not a synchronous replica after ${REPLICA_WAIT_S} s: ${await logTail(m.host, addon)}`);
    }
  }
  await closingFullBackup(preferred.host, addon, progress);
  return { keptAs, seconds: (Date.now() - t0) / 1000 };
}
