import type { Config } from '../../config/types.js';
import { addonImage } from '../../config/image.js';
import { haPorts } from '../../config/ha-check.js';
import type { Host } from '../../hosts/host.js';
import { UserError } from '../../util/errors.js';
import { shellJoin, shq } from '../../util/shell.js';
import { containerName } from '../desired.js';
import { type ArchiverStats, type PitrStatus, parseArchiver, pitrStatus } from './info.js';
import { desiredPitr, pitrContainerParts } from './desired.js';
import { pitrStateDir } from './settings.js';

// Reads an add-on's PITR state on its host, for `dbform backups list`: `pgbackrest info` in the add-on's
// image (with its settings mounted read-only, so it answers whether the add-on runs or not) and, when the
// add-on runs, pg_stat_archiver.

const ARCHIVER_SQL = 'SELECT row_to_json(a) FROM pg_stat_archiver a';

/** `port`: PostgreSQL's port in the add-on's container (a cluster member's is not the add-on's port). */
export async function readPitrStatus(config: Config, host: Host, addon: string, port?: number): Promise<PitrStatus> {
  const declared = config.addons.find((a) => a.name === addon)!;
  const hostCfg = config.hosts.find((h) => h.name === host.name)!;
  const etc = `${pitrStateDir(hostCfg, addon)}/etc`;
  // The container's own mounts (the settings and, for a directory repository, the repository), read-only here.
  const mounts = pitrContainerParts(desiredPitr(config, declared, hostCfg)).mounts.flatMap((m) => ['-v', m.endsWith(':ro') ? m : `${m}:ro`]);
  // Checked first: docker would otherwise create the missing directory to mount it, and this only reads.
  if ((await host.exec(`test -f ${shq(`${etc}/pgbackrest.conf`)}`)).code !== 0) {
    throw new UserError(`add-on ${addon}: point-in-time recovery is not set up on host ${host.name} yet: run dbform apply first`);
  }
  const info = await host.exec(
    shellJoin(['docker', 'run', '--rm', '--network', 'host', '--user', 'postgres', ...mounts,
      addonImage(config, declared), 'pgbackrest', `--stanza=${addon}`, '--log-level-console=error', 'info', '--output=json']),
  );
  if (info.code !== 0) {
    const why = (info.stderr.trim() || info.stdout.trim()).split('\n').slice(-2).join(' ');
    throw new UserError(`add-on ${addon}: pgbackrest info failed on host ${host.name}: ${why}`);
  }
  let archiver: ArchiverStats | null = null;
  const stats = await host.exec(
    shellJoin(['docker', 'exec', '-u', 'postgres', containerName(addon), 'psql', '-X', '-At', '-h', '/tmp', '-p', String(port ?? declared.port), '-U', 'postgres', '-d', 'postgres', '-c', ARCHIVER_SQL]),
  );
  if (stats.code === 0 && stats.stdout.trim()) archiver = parseArchiver(stats.stdout.trim());
  return pitrStatus(info.stdout, addon, archiver);
}

/** The PITR status of a highly available add-on, as its members read it: the repository is the same, and the
 *  window's end is the archiver's of the member that archived last (the primary: a replica archives nothing).
 *  Fails only when no member could read it (the first member's reason). */
export async function readClusterPitrStatus(config: Config, hosts: ReadonlyMap<string, Host>, addon: string): Promise<PitrStatus> {
  const declared = config.addons.find((a) => a.name === addon)!;
  const port = haPorts(declared.port).postgres;
  const read = await Promise.allSettled(declared.hosts.map(async (h) => {
    const host = hosts.get(h);
    if (!host) throw new UserError(`host ${h} cannot be reached`);
    return readPitrStatus(config, host, addon, port);
  }));
  const ok = read.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (!ok.length) throw (read[0] as PromiseRejectedResult).reason;
  const last = (s: PitrStatus) => s.archiver?.lastArchivedAt ?? '';
  return ok.reduce((a, b) => (last(b) > last(a) ? b : a));
}
