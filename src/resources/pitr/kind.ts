import { sha256Hex } from '../../util/canonical.js';
import type { ResourceKind } from '../kind.js';
import type { DesiredAddon } from '../model.js';
import { pitrExecutors } from './apply.js';
import { diffPitr, type ObservedPitr } from './diff.js';
import { cipherFileContent } from './settings.js';
import { pitrPlacements } from './cluster.js';

// Point-in-time recovery, part one: the add-on's pgBackRest settings on its host (repository, credentials,
// passphrase, the weekly full base backup's cron file). Listed before the container, so that the settings
// its archive_command reads are there when the container (re)starts with archiving on. Part two, the stanza
// and its first full base backup, is the pitr-base kind (after the container).
export const pitrKind: ResourceKind<DesiredAddon, ObservedPitr> = {
  kind: 'pitr',
  scope: 'addon',
  reads: 'host',
  // A highly available add-on's on each member host (cluster.ts).
  desired: pitrPlacements,
  async gather(read, placed) {
    const p = placed.desired.pitr;
    const conf = `${p.stateDir}/etc/pgbackrest.conf`;
    const paths = [...new Set([...Object.keys(p.files), conf, p.cronPath])];
    // Every hash in the same tick, so the host reader asks them all in one command (one round trip, not two).
    const [hashList, held, onHost] = await Promise.all([
      Promise.all(paths.map(async (path) => [path, await read.fileHash(path)] as const)),
      read.secret(p.passphraseKey),
      read.fileHash(p.cipherPath),
    ]);
    const hashes = Object.fromEntries(hashList);
    const cipher = !onHost ? 'missing' : held !== undefined && sha256Hex(cipherFileContent(held)) === onHost ? 'matches' : 'differs';
    return { files: hashes, cipher, installed: hashes[conf] !== null || hashes[p.cronPath] !== null };
  },
  diff: (placed, observed) => (placed.desired ? diffPitr(placed.desired, observed) : []),
  executors: pitrExecutors,
  hazards: ['BACKUPS_DISABLED'],
};
