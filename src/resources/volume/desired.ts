import type { AddonConfig, Config, HostConfig } from '../../config/types.js';
import type { Placed } from '../kind.js';
import { containerName } from '../desired.js';

// The desired LUKS volume of each add-on: pure, from the config alone. The volume is a file under the
// host's dataDir (`.volumes/ADDON.luks`), which cryptsetup attaches to a loop device itself, opened as
// /dev/mapper/dbform-ADDON and mounted on the add-on's data directory (`DATADIR/ADDON`, the directory the
// container binds): everything of the add-on's instance (pgdata, its staging copy at initdb, its TLS key)
// then lives on the volume. Why a file and not a block device named per host: the size comes from the
// plan (`disk:`), a host needs no disk layout of its own, and growing is a `fallocate` away.

/** What every volume dbform makes is, and what the plan shows (LUKS2; the seeds' cipher and hash). */
export const LUKS_FORMAT = { luks: 2, cipher: 'aes-xts-plain64', keyBits: 512, hash: 'sha256' } as const;

/** LUKS2's default header (metadata and key slots) before the data segment, in MB. */
export const LUKS_HEADER_MB = 16;

export interface DesiredVolume {
  addon: string;
  /** encryptionAtRest. Off: only a volume left from when it was on is looked for. */
  encrypted: boolean;
  /** Size of the filesystem in MB (the add-on's disk: `disk:` or the plan's); the file is the header more. */
  sizeMb: number;
  /** The LUKS container file on the host. */
  file: string;
  /** Device-mapper name of the open volume: /dev/mapper/NAME. */
  mapper: string;
  /** Where the volume is mounted: the add-on's data directory (the container's bind mount). */
  mountPoint: string;
  /** Keystore entry of the volume's key (random, 512 bits; sealed under DBFORM_MASTER_KEY). */
  keyName: string;
  /** Keystore entry of the key a rotation adds, until the rotation is done. */
  nextKeyName: string;
  /** encryptionKeyVersion: the header's label records the version its key slot has. */
  keyVersion: number;
  /** The add-on's container: restarted after the volume is mounted (it bound the empty mount point). */
  container: string;
}

export function volumeFile(dataDir: string, addon: string): string {
  return `${dataDir}/.volumes/${addon}.luks`;
}

export function volumeKeyName(addon: string): string {
  return `volume/${addon}/key`;
}

/** The header's label: which key version its slot holds (readable with luksDump, no key needed). */
export function keyLabel(version: number): string {
  return `dbform-key-v${version}`;
}

/** Where an add-on's volume is on a host, and what else its steps name: from the add-on's name alone. */
export type VolumeWhere = Pick<DesiredVolume, 'addon' | 'file' | 'mapper' | 'mountPoint' | 'keyName' | 'nextKeyName' | 'container'>;

export function volumeWhere(dataDir: string, addon: string): VolumeWhere {
  return {
    addon,
    file: volumeFile(dataDir, addon),
    mapper: `dbform-${addon}`,
    mountPoint: `${dataDir}/${addon}`,
    keyName: volumeKeyName(addon),
    nextKeyName: `${volumeKeyName(addon)}.next`,
    container: containerName(addon),
  };
}

export function desiredVolume(addon: AddonConfig, host: HostConfig): DesiredVolume {
  return { ...volumeWhere(host.dataDir, addon.name), encrypted: addon.encryptionAtRest, sizeMb: addon.diskMb, keyVersion: addon.encryptionKeyVersion };
}

export function volumePlacements(config: Config): Placed<DesiredVolume>[] {
  // A highly available add-on's members are not on volumes yet (not-yet.ts says so in every plan).
  return config.addons.filter((a) => a.hosts.length <= 1).map((a) => {
    const host = config.hosts.find((h) => h.name === a.host) as HostConfig;
    return { key: a.name, host: a.host, addon: a.name, desired: desiredVolume(a, host) };
  });
}
