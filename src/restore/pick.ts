import type { BackupManifest } from '../resources/backups/manifest.js';
import { UserError } from '../util/errors.js';

// Pure: which stored backup a restore uses. Only a finished, successful backup can be restored; an unknown
// id is answered with the ids closest to it (a typo, a neighbouring timestamp), so the user can pick one.

/** How many near ids an "unknown backup" error lists. */
const NEAREST = 3;

export function pickRestorableBackup(manifests: BackupManifest[], id: string, addon: string, storage: string): BackupManifest {
  const m = manifests.find((x) => x.id === id);
  if (!m) {
    const near = nearestIds(manifests.map((x) => x.id), id, NEAREST);
    const hint = near.length ? `; the nearest: ${near.join(', ')} (all: dbform backups list ${addon})` : `; it has no backups at all`;
    throw new UserError(`add-on ${addon} has no backup ${id} in ${storage}${hint}`);
  }
  if (m.status !== 'ok') {
    const why = m.status === 'running' ? 'still being written' : 'a failed backup (it has no usable dump)';
    throw new UserError(`backup ${m.id} of ${addon} cannot be restored: it is ${why}. Pick an ok one from dbform backups list ${addon}`);
  }
  return m;
}

/** The `n` ids with the smallest edit distance to `id` (ties: the newer first, as ids start with their time). */
export function nearestIds(ids: string[], id: string, n: number): string[] {
  return ids
    .map((candidate) => ({ candidate, d: editDistance(candidate, id) }))
    .sort((a, b) => a.d - b.d || b.candidate.localeCompare(a.candidate))
    .slice(0, n)
    .map((x) => x.candidate);
}

/** Levenshtein distance, one row at a time (ids are short). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
