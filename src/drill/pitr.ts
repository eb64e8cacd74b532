import type { Config } from '../config/types.js';
import { CONTAINER_DATA_DIR } from '../resources/desired.js';
import { desiredPitr, pitrContainerParts } from '../resources/pitr/desired.js';
import type { PitrStatus } from '../resources/pitr/info.js';
import { type Where, prepare } from '../resources/pitr/restore.js';
import type { CheckResult } from './logical.js';
import { type Scratch, countTables, perDatabase, scratchContainer, startScratch } from './scratch.js';

// The PITR half of a drill: the latest point of the window restored by pgBackRest into the scratch directory
// and promoted by a replaying container, exactly as an in-place restore prepares its copy (pitr/restore.ts)
// but with archiving off (a drill's copy must never push its new timeline into the add-on's stanza); then the
// promoted copy is started as a scratch instance of its own and every table of every database is read.

const STAGING = `${CONTAINER_DATA_DIR}/pgdata.restore`;

/** What the window said before the drill: where the latest point is and which base backup it starts from. */
export function pitrSource(status: PitrStatus): string {
  if (!status.window) throw new Error(`no PITR window yet (stanza ${status.stanza}: ${status.status}): nothing to restore to a point in time`);
  const base = status.baseBackups.filter((b) => b.status === 'ok').at(-1);
  return `latest point (WAL archived up to ${status.window.latest}) from base backup ${base?.id ?? '?'}`;
}

export async function drillPitr(config: Config, s: Scratch, status: PitrStatus, progress: (m: string) => void): Promise<CheckResult> {
  const source = pitrSource(status);
  const declared = config.addons.find((a) => a.name === s.addon)!;
  const hostCfg = config.hosts.find((h) => h.name === s.host.name)!;
  const t0 = Date.now();
  progress(`restoring the ${source} into a scratch directory`);
  const w: Where = {
    host: s.host,
    addon: s.addon,
    port: declared.port,
    image: s.image,
    dataDir: s.dir,
    stanza: s.addon,
    mounts: pitrContainerParts(desiredPitr(config, declared, hostCfg)).mounts,
    container: scratchContainer(s.addon, 'pitr-replay'),
  };
  await prepare(w, { kind: 'latest' }, STAGING);
  const container = await startScratch(s, 'pitr', STAGING, { archive_mode: 'off' });
  const { databases, counts } = await countTables(s, container);
  const per = perDatabase(databases, counts);
  const check = {
    kind: 'pitr' as const,
    source,
    ok: true,
    seconds: (Date.now() - t0) / 1000,
    tables: counts.length,
    rows: counts.reduce((n, c) => n + c.rows, 0),
    databases: per,
  };
  return { check, counts };
}
