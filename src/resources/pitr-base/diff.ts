import type { Change } from '../../plan/types.js';
import type { DesiredAddon } from '../model.js';
import { sha256Hex } from '../../util/canonical.js';
import { markerContent, markerIdentity } from '../pitr/desired.js';
import { pitrAddress } from '../pitr/cluster.js';

/** Major versions dbform runs, oldest first (the config's enum). */
const MAJOR_VERSIONS = ['15', '17'];

/** The other major version whose marker this is (same repository): the add-on was upgraded since (or rolled
 *  back from an upgrade, README: "Rolling back a major upgrade"). */
export function migratedFrom(desired: DesiredAddon, markerSha256: string | null): string | undefined {
  if (!markerSha256) return undefined;
  const identity = markerIdentity(desired.pitr.marker.content);
  const others = MAJOR_VERSIONS.filter((v) => v !== desired.container.version);
  return others.find((v) => sha256Hex(markerContent(identity, v)) === markerSha256);
}

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

/** A member of a highly available add-on: the step asks its Patroni API whether it is the primary. */
const memberField = (desired: DesiredAddon) => (desired.pitr.member ? { patroniApiPort: desired.pitr.member.apiPort } : {});

export function diffPitrBase(desired: DesiredAddon, markerSha256: string | null): Change[] {
  const p = desired.pitr;
  if (!p.enabled || markerSha256 === p.marker.sha256) return [];
  const from = migratedFrom(desired, markerSha256);
  if (from) {
    // After a major upgrade the stanza still describes the old cluster: pgBackRest's stanza-upgrade records the
    // new one (same repository, same passphrase), then a full base backup of the new version starts its window.
    return [{
      address: pitrAddress(desired, 'pitr_base'), kind: 'pitr-base', host: desired.host, addon: desired.name, action: 'update',
      reason: `${desired.name} ${Number(from) < Number(desired.container.version) ? 'was upgraded' : 'was rolled back'} from PostgreSQL ${from}: stanza-upgrade and a new full base backup`,
      before: { stanza: p.stanza, postgresql: from }, after: { stanza: p.stanza, postgresql: desired.container.version, first_backup: 'full' },
      hazards: [],
      steps: [{ type: 'pitr.init', addon: desired.name, container: desired.container.name, stanza: p.stanza, marker: { ...p.marker }, stanzaUpgrade: true, ...memberField(desired) }],
    }];
  }
  return [{
    address: pitrAddress(desired, 'pitr_base'),
    kind: 'pitr-base',
    host: desired.host,
    addon: desired.name,
    action: markerSha256 ? 'update' : 'create',
    reason: markerSha256 ? `the repository of ${desired.name} changed: a new stanza and full base backup` : `stanza ${p.stanza} and the first full base backup of ${desired.name}`,
    before: markerSha256 ? { repository: 'another' } : null,
    after: { stanza: p.stanza, first_backup: 'full', storage: p.summary!.storage },
    hazards: [],
    steps: [{ type: 'pitr.init', addon: desired.name, container: desired.container.name, stanza: p.stanza, marker: { ...p.marker }, ...memberField(desired) }],
  }];
}
