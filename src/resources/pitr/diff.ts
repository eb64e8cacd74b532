import type { Change } from '../../plan/types.js';
import type { DesiredAddon } from '../model.js';
import { pitrAddress } from './cluster.js';

/** What the pitr kind observes: SHA-256 of each rendered file (null: missing), and whether the passphrase
 *  include file holds the keystore's passphrase (a verdict, never the passphrase). */
export interface ObservedPitr {
  files: Record<string, string | null>;
  cipher: 'matches' | 'differs' | 'missing';
  /** Whether any PITR settings of the add-on are on the host (its pgbackrest.conf or cron file). */
  installed: boolean;
}

// Pure: the add-on's pgBackRest settings, CA, passphrase file and weekly cron file are on the host exactly as
// rendered (compared by SHA-256: they hold credentials). PITR turned off removes them: BACKUPS_DISABLED (the
// archive and base backups already in the storage are kept).

export function diffPitr(desired: DesiredAddon, observed: ObservedPitr): Change[] {
  const p = desired.pitr;
  const base = { address: pitrAddress(desired, 'pitr'), kind: 'pitr', host: desired.host, addon: desired.name };
  if (!p.enabled) {
    if (!observed.installed) return [];
    return [{
      ...base,
      action: 'delete',
      reason: `backups.pitr is off for ${desired.name}`,
      before: { pitr: 'installed' },
      after: null,
      hazards: [{ code: 'BACKUPS_DISABLED', message: `no more WAL archiving nor base backups of ${desired.name}: it can no longer be restored to a point in time after this; what is archived is kept` }],
      steps: [{ type: 'pitr.remove', addon: desired.name, stateDir: p.stateDir, cronPath: p.cronPath }],
    }];
  }
  const stale = Object.keys(p.files).filter((path) => observed.files[path] !== p.files[path]!.sha256).sort();
  const cipherStale = observed.cipher !== 'matches';
  if (!stale.length && !cipherStale) return [];
  const fresh = !observed.installed;
  const names = [...stale, ...(cipherStale ? [p.cipherPath] : [])].map((path) => path.split('/').pop());
  return [{
    ...base,
    action: fresh ? 'create' : 'update',
    reason: fresh ? `point-in-time recovery of ${desired.name} (pgBackRest)` : `out of date on the host: ${names.join(', ')}`,
    before: fresh ? null : { up_to_date: Object.keys(p.files).length + 1 - names.length, files: Object.keys(p.files).length + 1 },
    after: { ...p.summary!, files: Object.keys(p.files).length + 1 },
    hazards: [],
    steps: [{
      type: 'pitr.install',
      addon: desired.name,
      image: desired.container.image,
      stateDir: p.stateDir,
      ...(p.repoDir ? { repoDir: p.repoDir } : {}),
      // Contents carry `{{env:NAME}}` where credentials go (filled in at apply); the hashes pin what was planned.
      files: Object.fromEntries(stale.map((path) => [path, { ...p.files[path]! }])),
      // The passphrase is named, never carried: apply reads (or makes) it in the host's keystore.
      ...(cipherStale ? { cipherPath: p.cipherPath, passphrase: { source: 'keystore', key: p.passphraseKey, generate: true } } : {}),
      // A cluster's members share one repository, hence one passphrase: derived from the master key (the same on
      // every host, as the members' passwords), not generated on each host.
      ...(cipherStale && p.member ? { derivePassphrase: true } : {}),
    }],
  }];
}
