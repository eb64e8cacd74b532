import type { AddonConfig, Config, HostConfig } from '../../config/types.js';
import { sha256Hex } from '../../util/canonical.js';
import { hashedFiles } from '../../util/env-template.js';
import { storageOf } from '../backups/settings.js';
import type { DesiredPitr } from '../model.js';
import { CONTAINER_PGBACKREST_ETC, CONTAINER_REPO_DIR, type PitrMember, archiveSettings, passphraseKey, pitrCronPath, pitrStateDir, renderPitrFiles } from './settings.js';

// The add-on's point-in-time recovery as desired state (pure), and what it adds to its container: the
// archive settings and the bind mounts of pgBackRest's settings (read-only) and of a directory repository.

/** The marker's content: the repository's identity, and the PostgreSQL major version its stanza was made or
 *  upgraded for (none for 15, so the markers written before other versions existed stay valid). */
export function markerContent(repoIdentity: string, version: string): string {
  return version === '15' ? repoIdentity : `${repoIdentity}\npostgresql ${version}`;
}

/** The repository's identity of a marker's content (markerContent's inverse). */
export function markerIdentity(content: string): string {
  return content.replace(/\npostgresql \d+$/, '');
}

/** The add-on's PITR on `host`: its only host, or one member of a highly available add-on (`member`). */
export function desiredPitr(config: Config, addon: AddonConfig, host: HostConfig, member?: PitrMember): DesiredPitr {
  const state = pitrStateDir(host, addon.name);
  const base = {
    stanza: addon.name,
    stateDir: state,
    cipherPath: `${state}/etc/conf.d/cipher.conf`,
    passphraseKey: passphraseKey(addon.name),
    cronPath: pitrCronPath(addon.name),
    ...(member && { member: { apiPort: member.apiPort } }),
  };
  const markerPath = `${state}/stanza.ok`;
  if (!addon.backups.pitr) {
    return { ...base, enabled: false, files: {}, marker: { path: markerPath, content: '', sha256: '' }, repoDir: null, summary: null };
  }
  const rendered = renderPitrFiles(config, addon, host, member);
  const storage = storageOf(config, addon);
  const where = { pos: storage.pos, what: `storage ${storage.name} (point-in-time recovery of add-on ${addon.name})` };
  return {
    ...base,
    enabled: true,
    files: hashedFiles(rendered.files, where),
    marker: { path: markerPath, content: markerContent(rendered.repoIdentity, addon.version), sha256: sha256Hex(markerContent(rendered.repoIdentity, addon.version)) },
    repoDir: rendered.repoDir,
    summary: rendered.summary,
  };
}

/** Settings and mounts PITR adds to the add-on's container (none when it is off). */
export function pitrContainerParts(pitr: DesiredPitr): { settings: Record<string, string>; mounts: string[] } {
  if (!pitr.enabled) return { settings: {}, mounts: [] };
  const mounts = [`${pitr.stateDir}/etc:${CONTAINER_PGBACKREST_ETC}:ro`];
  if (pitr.repoDir) mounts.push(`${pitr.repoDir}:${CONTAINER_REPO_DIR}`);
  return { settings: archiveSettings(pitr.stanza), mounts: mounts.sort() };
}
