import { DateTime } from 'luxon';
import { parseAllowedHazards } from '../../apply/gate.js';
import { acquireHostLock, currentHolder } from '../../hosts/lock.js';
import { hostOfAddon } from '../../resources/backups/service.js';
import type { PitrStatus } from '../../resources/pitr/info.js';
import { restoreInPlace } from '../../resources/pitr/restore.js';
import { type RestoreTarget, checkTarget, parseRestoreTarget } from '../../resources/pitr/restore-target.js';
import { readPitrStatus } from '../../resources/pitr/status.js';
import { UserError } from '../../util/errors.js';
import { size } from './byte-size.js';
import { err, out } from '../terminal.js';
import { openSession } from '../session.js';
import { convergeWithFile } from '../../restore/converge-with-file.js';

// `dbform restore ADDON --to TIME|latest`: an in-place point-in-time restore. It takes the add-on's host lock
// (as apply does), checks the target against the PITR window, says what it will do, and needs
// `--allow-hazards DATA_LOSS`, since what was written after the target is overwritten.

export interface RestorePitrOptions {
  file: string;
  addon: string;
  to: string;
  allowHazards?: string;
}

/** What the restore will do, before it does it: the base backup it starts from and what it overwrites. */
function describe(addon: string, host: string, target: RestoreTarget, status: PitrStatus, zone: string): string {
  const show = (iso: string) => DateTime.fromISO(iso).setZone(zone).toFormat('yyyy-MM-dd HH:mm:ss ZZZZ');
  const good = status.baseBackups.filter((b) => b.status === 'ok');
  const base = target.kind === 'latest' ? good.at(-1) : good.filter((b) => b.finishedAt <= target.iso).at(-1);
  const to = target.kind === 'latest' ? `the last archived WAL (${show(status.window!.latest)})` : show(target.iso);
  return [
    `Restore ${addon} on ${host} in place to ${to}:`,
    `  from full base backup ${base?.id ?? '?'} (${size(base?.size)}), then the archived WAL after it up to the target;`,
    `  everything written to ${addon} after the target is overwritten (its current data directory is kept beside it).`,
  ].join('\n');
}

export async function restorePitrCommand(opts: RestorePitrOptions): Promise<number> {
  const session = await openSession(opts.file, (m) => err(`Warning: ${m}`), undefined, 'read');
  try {
    const { config } = session;
    const declared = config.addons.find((a) => a.name === opts.addon);
    if (!declared) throw new UserError(`no add-on named ${opts.addon} in ${config.file}`);
    if (!declared.backups.pitr) throw new UserError(`add-on ${opts.addon} has no point-in-time recovery (backups.pitr is off)`);
    const zone = config.defaults.timezone;
    const target = parseRestoreTarget(opts.to, zone);
    const allowed = parseAllowedHazards(opts.allowHazards);
    const host = await hostOfAddon(config, session.hosts, opts.addon);
    const lock = await acquireHostLock(host, currentHolder(), 0);
    try {
      const status = await readPitrStatus(config, host, opts.addon);
      checkTarget(target, status.window, new Date(), zone);
      out(describe(opts.addon, host.name, target, status, zone));
      if (!allowed.has('DATA_LOSS')) {
        err(`Refused: DATA_LOSS: what ${opts.addon} holds after the target is overwritten. To restore, run again with --allow-hazards DATA_LOSS`);
        return 1;
      }
      const progress = (m: string) => err(`  [${host.name}] ${m}`);
      const r = await restoreInPlace(config, host, opts.addon, target, progress);
      out(`Restored ${opts.addon} in ${r.seconds.toFixed(1)} s. Its previous data directory is kept as ${r.keptAs} (remove it once satisfied).`);
      try {
        await convergeWithFile(session, opts.addon, progress);
      } catch (e) {
        err(`The data is restored, but bringing users, passwords and grants back to the file failed: ${(e as Error).message}. Run dbform plan.`);
        return 1;
      }
      out('Users, passwords, grants and extensions are as the file says.');
      return 0;
    } finally {
      await lock.release();
    }
  } finally {
    await session.close();
  }
}
