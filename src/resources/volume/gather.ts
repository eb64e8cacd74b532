import type { Placed } from '../kind.js';
import type { HostReader } from '../reader.js';
import { UserError } from '../../util/errors.js';
import type { DesiredVolume } from './desired.js';
import type { LuksHeader, VolumeLocation } from './probe.js';

// Read-only: the live state of an add-on's volume. A host that cannot run a LUKS volume (no
// device-mapper, no cryptsetup) is an error here, at plan time, naming the host and the add-on: the plan
// leaves the host out, so nothing is half-made, and an add-on is never put on an unencrypted disk silently.

export interface ObservedVolume {
  /** The container file exists (for an add-on without encryption: a volume left from when it had it). */
  exists: boolean;
  header: LuksHeader | null;
  /** The file's size in MB (header included). */
  fileMb: number;
  open: boolean;
  /** Mounted on its mount point. */
  mounted: boolean;
  /** Unencrypted PostgreSQL data is on the mount point (no volume mounted there). */
  unencryptedData: boolean;
  /** A rotation was started and not finished (the next key is in the keystore). */
  rotationPending: boolean;
}

export const NO_VOLUME: ObservedVolume = { exists: false, header: null, fileMb: 0, open: false, mounted: false, unencryptedData: false, rotationPending: false };

function capabilityError(host: string, v: DesiredVolume, missing: string[]): UserError {
  return new UserError(
    `host ${host}, add-on ${v.addon}: encryptionAtRest needs dm-crypt, and this host has ${missing.join(' and ')}. ` +
      `Load dm_crypt and install cryptsetup on ${host}, or set \`encryptionAtRest: false\` for ${v.addon} to keep its data unencrypted; nothing was changed on ${host}`,
  );
}

/** What a volume left behind shows (encryption turned off, or its add-on removed): no key is read. */
export async function gatherLeftVolume(read: HostReader, v: VolumeLocation): Promise<ObservedVolume> {
  const probe = await read.volume(v);
  if (probe.fileBytes === null) return NO_VOLUME;
  return { ...NO_VOLUME, exists: true, header: probe.header, fileMb: fileMb(probe.fileBytes), open: probe.open, mounted: probe.mountedFrom !== null };
}

const fileMb = (bytes: number | null) => Math.floor((bytes ?? 0) / (1024 * 1024));

export async function gatherVolume(read: HostReader, placed: Placed<DesiredVolume>): Promise<ObservedVolume> {
  const v = placed.desired;
  // Encryption off: only a volume left from when it was on is looked at (one cheap read when there is none).
  if (!v.encrypted) return (await read.fileExists(v.file)) ? gatherLeftVolume(read, v) : NO_VOLUME;
  const probe = await read.volume(v);
  const missing = [
    ...(probe.deviceMapper ? [] : ['no device-mapper in its kernel']),
    ...(probe.cryptsetup ? [] : ['no cryptsetup command']),
  ];
  if (missing.length) throw capabilityError(read.host.name, v, missing);
  const exists = probe.fileBytes !== null;
  // The key is read to know that it is held (and that DBFORM_MASTER_KEY opens it): a verdict, never the key.
  const [key, next] = await Promise.all([read.secret(v.keyName), read.secret(v.nextKeyName)]);
  if (exists && key === undefined) {
    throw new UserError(`host ${read.host.name}, add-on ${v.addon}: the volume ${v.file} exists but the keystore on the host holds no key for it; dbform cannot open a volume it did not make`);
  }
  if (exists && probe.header === null) {
    throw new UserError(`host ${read.host.name}, add-on ${v.addon}: ${v.file} exists but is not a LUKS volume; move it away to let dbform make the volume`);
  }
  const mounted = probe.mountedFrom !== null;
  if (mounted && !probe.open) {
    throw new UserError(`host ${read.host.name}, add-on ${v.addon}: ${probe.mountedFrom} is mounted on ${v.mountPoint}, not the add-on's volume; unmount it first`);
  }
  return {
    exists,
    header: probe.header,
    fileMb: fileMb(probe.fileBytes),
    open: probe.open,
    mounted,
    unencryptedData: !mounted && probe.pgdata,
    rotationPending: next !== undefined,
  };
}
