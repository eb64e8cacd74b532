import type { Change } from '../../plan/types.js';
import type { DesiredAddon } from '../model.js';

// Pure: once PITR's settings and the archiving container are in place, the add-on's stanza must exist in its
// repository with a first full base backup. The marker file apply writes after both records which repository
// they were made in (its identity, no credential): a changed repository (another storage, bucket or path)
// plans them again.

/** What the pitr-base kind observes: the marker's SHA-256 (null: not done yet) and the archiver's verdict. */
export interface ObservedPitrBase {
  marker: string | null;
  /** When WAL archiving started failing, else null. */
  archivingFailingSince: string | null;
}

/** Pure: a warning when the add-on's WAL archiving fails (the window stops growing; apply cannot repair it). */
export function pitrBaseWarnings(desired: DesiredAddon, observed: ObservedPitrBase): string[] {
  if (!desired.pitr.enabled || !observed.archivingFailingSince) return [];
  return [`add-on ${desired.name}: WAL archiving fails since ${observed.archivingFailingSince}: a restore reaches the last archived segment at most; see dbform backups list ${desired.name}`];
}

export function diffPitrBase(desired: DesiredAddon, markerSha256: string | null): Change[] {
  const p = desired.pitr;
  if (!p.enabled || markerSha256 === p.marker.sha256) return [];
  return [{
    address: `addon.${desired.name}.pitr_base`,
    kind: 'pitr-base',
    host: desired.host,
    addon: desired.name,
    action: markerSha256 ? 'update' : 'create',
    reason: markerSha256 ? `the repository of ${desired.name} changed: a new stanza and full base backup` : `stanza ${p.stanza} and the first full base backup of ${desired.name}`,
    before: markerSha256 ? { repository: 'another' } : null,
    after: { stanza: p.stanza, first_backup: 'full', storage: p.summary!.storage },
    hazards: [],
    steps: [{ type: 'pitr.init', addon: desired.name, container: desired.container.name, stanza: p.stanza, marker: { ...p.marker } }],
  }];
}
