import { DateTime } from 'luxon';
import { parseAllowedHazards } from '../../apply/gate.js';
import type { AddonConfig } from '../../config/types.js';
import { acquireHostLock, currentHolder } from '../../hosts/lock.js';
import type { BaseBackup, PitrStatus } from '../../resources/pitr/info.js';
import { restoreInPlace } from '../../resources/pitr/restore.js';
import { restoreClusterInPlace } from '../../resources/pitr/restore-cluster.js';
import { clusterPitrTaken } from '../../resources/pitr/cluster.js';
import type { Host } from '../../hosts/host.js';
import { checkInto, describeInto, restoreInto } from '../../resources/pitr/restore-into.js';
import { type RestoreTarget, checkTarget, parseRestoreTarget } from '../../resources/pitr/restore-target.js';
import { readClusterPitrStatus, readPitrStatus } from '../../resources/pitr/status.js';
import { storeFor } from '../../resources/backups/service.js';
import { UserError } from '../../util/errors.js';
import { run } from '../../hosts/host.js';
import { shq } from '../../util/shell.js';
import { size } from './byte-size.js';
import { err, out } from '../terminal.js';
import { type Session, openSession } from '../session.js';
import { convergeWithFile } from '../../restore/converge-with-file.js';
import { applyAddonFromFile } from '../../restore/apply-addon.js';

// `dbform restore ADDON --to TIME|latest [--into NEW]`: a point-in-time restore, in place or into a new add-on.
// It takes the written add-on's host lock (as apply does), checks the target against the PITR window, says
// what it will do, and in place needs `--allow-hazards DATA_LOSS` (what was written after the target goes).

export interface RestorePitrOptions {
  file: string;
  addon: string;
  to: string;
  into?: string;
  allowHazards?: string;
  format: 'text' | 'json';
  lockTimeoutSeconds: number;
  /** In place: remove the replaced data directory once the restore and the convergence succeeded. */
  dropPrevious: boolean;
}

/** What `--format json` prints, and what the text says. */
export interface PitrRestoreResult {
  addon: string;
  into: string | null;
  host: string;
  target: string;
  base_backup: { id: string; size: number } | null;
  status: 'restored' | 'refused';
  seconds: number | null;
  /** In place: where the replaced data directory is kept (null: there was none). */
  kept_as: string | null;
}

function baseOf(target: RestoreTarget, status: PitrStatus): BaseBackup | undefined {
  const good = status.baseBackups.filter((b) => b.status === 'ok');
  return target.kind === 'latest' ? good.at(-1) : good.filter((b) => b.finishedAt <= target.iso).at(-1);
}

/** What the restore will do, before it does it: the base backup it starts from and what it overwrites. */
function describe(opts: RestorePitrOptions, host: string, target: RestoreTarget, status: PitrStatus, zone: string, otherMembers: string[] = [], intoMembers: string[] = [host]): string {
  const show = (iso: string) => DateTime.fromISO(iso).setZone(zone).toFormat('yyyy-MM-dd HH:mm:ss ZZZZ');
  const base = baseOf(target, status);
  const last = status.archiver ? `the last archived WAL (${show(status.window!.latest)})` : `the last archived WAL (${opts.addon} is not running: its last segment's time is not known)`;
  const to = target.kind === 'latest' ? last : show(target.iso);
  const what = opts.into
    ? describeInto(opts.addon, opts.into, intoMembers)
    : otherMembers.length
      ? `  everything written to ${opts.addon} after the target is overwritten (the data directory of its member on ${host} is kept beside it; ${otherMembers.join(', ')} clone${otherMembers.length > 1 ? '' : 's'} it again).`
      : `  everything written to ${opts.addon} after the target is overwritten (its current data directory is kept beside it).`;
  return [
    `Restore ${opts.addon} ${opts.into ? `into ${opts.into}` : 'in place'} on ${host} to ${to}:`,
    `  from full base backup ${base?.id ?? '?'} (${size(base?.size)}), then the archived WAL after it up to the target;`,
    what,
  ].join('\n');
}

/** A storage that is down fails here at once, with the reason, rather than in pgBackRest's retries. */
async function storageAnswers(session: Session, addon: string): Promise<void> {
  try {
    await (await storeFor(session.config, session.hosts, addon)).listManifests(addon);
  } catch (e) {
    throw new UserError(`the storage of ${addon} does not answer, so nothing was restored and nothing changed: ${(e as Error).message}`);
  }
}

function declaredAddon(session: Session, name: string, flag: string): AddonConfig {
  const a = session.config.addons.find((x) => x.name === name);
  const list = session.config.addons.map((x) => x.name).join(', ');
  if (!a) throw new UserError(`${flag}${name}: no add-on named ${name} in ${session.config.file} (declared: ${list})`);
  return a;
}

function reachable(session: Session, name: string): Host {
  const host = session.hosts.get(name);
  if (!host) throw new UserError(`host ${name} cannot be reached: ${session.hostErrors.get(name) ?? ''}`);
  return host;
}

const hostConfig = (session: Session, name: string) => session.config.hosts.find((h) => h.name === name)!;

/** Checks what a restore involving a highly available add-on can do: restored in place, or read as the source
 *  of --into, with PITR taken (an S3 storage). Returns the cluster restored in place. */
function checkCluster(session: Session, source: AddonConfig, into: AddonConfig | undefined): AddonConfig | undefined {
  if (source.hosts.length === 1) return undefined;
  if (!clusterPitrTaken(session.config, source)) throw new UserError(`add-on ${source.name} is highly available and its storage is a local directory: no base backup or WAL archive of it is taken (use an s3 storage)`);
  return into ? undefined : source;
}

export async function restorePitrCommand(opts: RestorePitrOptions): Promise<number> {
  const session = await openSession(opts.file, (m) => err(`Warning: ${m}`), undefined, 'read');
  try {
    const { config } = session;
    const source = declaredAddon(session, opts.addon, '');
    const into = opts.into === undefined ? undefined : declaredAddon(session, opts.into, '--into ');
    if (!source.backups.pitr) throw new UserError(`add-on ${opts.addon} has no point-in-time recovery (backups.pitr is off)`);
    const cluster = checkCluster(session, source, into);
    const zone = config.defaults.timezone;
    const target = parseRestoreTarget(opts.to, zone);
    const allowed = parseAllowedHazards(opts.allowHazards);
    const written = into ?? source;
    // A cluster restored in place, or made by --into, writes every member's host: each is locked, the preferred
    // member's first; a new cluster also its consensus store's hosts (apply makes the store when there is none).
    const members = (cluster ?? written).hosts;
    const consensus = into && into.hosts.length > 1 ? (config.consensus?.hosts ?? []) : [];
    const lockedHosts = [...new Set([...members, ...consensus])].map((h) => reachable(session, h));
    const host = lockedHosts[0]!;
    const intoHosts = { members: lockedHosts.filter((h) => members.includes(h.name)), consensus: lockedHosts.filter((h) => consensus.includes(h.name)) };
    const sourceHost = reachable(session, source.host);
    const locks = [];
    try {
      for (const h of lockedHosts) locks.push(await acquireHostLock(h, currentHolder(), opts.lockTimeoutSeconds));
      if (into) await checkInto({ config, source, into, host, ...intoHosts, keystore: session.keystores.get(into.host)!, sourceKeystore: session.keystores.get(source.host)! });
      // Both read the repository: asked together. A storage that is down is reported as such at once,
      // without waiting for pgBackRest's own retries (minutes), whose failure is then not the one to report.
      const window = source.hosts.length > 1 ? readClusterPitrStatus(config, session.hosts, opts.addon) : readPitrStatus(config, sourceHost, opts.addon);
      window.catch(() => undefined);
      await storageAnswers(session, source.name);
      const status = await window;
      checkTarget(target, status.window, new Date(), zone);
      const base = baseOf(target, status);
      const result: PitrRestoreResult = {
        addon: opts.addon, into: opts.into ?? null, host: host.name, target: target.kind === 'latest' ? 'latest' : target.iso,
        base_backup: base ? { id: base.id, size: base.size } : null, status: 'refused', seconds: null, kept_as: null,
      };
      const json = opts.format === 'json';
      if (!json) out(describe(opts, host.name, target, status, zone, cluster ? cluster.hosts.slice(1) : [], members));
      if (!into && !allowed.has('DATA_LOSS')) {
        err(`Refused: DATA_LOSS: what ${opts.addon} holds after the target is overwritten. To restore, run again with --allow-hazards DATA_LOSS`);
        if (json) out(JSON.stringify(result, null, 2));
        return 1;
      }
      // A new cluster is made on several hosts at once: each line names the host it is about.
      const progress = (m: string, on = host.name) => err(`  [${on}] ${m}`);
      if (into) {
        const r = await restoreInto({ config, source, into, host, ...intoHosts, keystore: session.keystores.get(into.host)!, sourceKeystore: session.keystores.get(source.host)!, target, progress });
        Object.assign(result, { status: 'restored', seconds: r.seconds });
        if (!json) out(`Restored ${opts.addon} into ${into.name} in ${r.seconds.toFixed(1)} s; ${opts.addon} was only read.`);
      } else {
        const r = cluster
          ? await restoreClusterInPlace(config, cluster.hosts.map((h) => ({ host: reachable(session, h), dataDir: hostConfig(session, h).dataDir })), opts.addon, target, progress)
          : await restoreInPlace(config, host, opts.addon, target, progress);
        Object.assign(result, { status: 'restored', seconds: r.seconds, kept_as: r.keptAs });
        const kept = r.keptAs ? `Its previous data directory is kept as ${r.keptAs} (remove it once satisfied, or move it back to undo).` : 'It had no data directory to keep.';
        if (!json) out(`Restored ${opts.addon} in ${r.seconds.toFixed(1)} s. ${kept}`);
      }
      try {
        if (into) await applyAddonFromFile(session, into.name, progress);
        else await convergeWithFile(session, opts.addon, progress);
      } catch (e) {
        err(`The data is restored, but making ${written.name} what the file says failed: ${(e as Error).message}. Run dbform plan.`);
        if (json) out(JSON.stringify(result, null, 2));
        return 1;
      }
      if (opts.dropPrevious && result.kept_as) {
        await run(host, `removing the replaced data directory of ${opts.addon}`, `rm -rf ${shq(result.kept_as)}`);
        if (!json) out(`Removed the replaced data directory ${result.kept_as} (--drop-previous).`);
        result.kept_as = null;
      }
      if (json) out(JSON.stringify(result, null, 2));
      else out('Users, passwords, grants and extensions are as the file says.');
      return 0;
    } finally {
      for (const lock of locks.reverse()) await lock.release();
    }
  } finally {
    await session.close();
  }
}
