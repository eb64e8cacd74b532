import type { Attrs, Change, Step } from '../../plan/types.js';
import type { Placed } from '../kind.js';
import { LUKS_FORMAT, LUKS_HEADER_MB, keyLabel, type DesiredVolume, type VolumeWhere } from './desired.js';
import type { ObservedVolume } from './gather.js';

// Pure: the desired volume and what is on the host -> at most one change, whose steps run in order
// (make or migrate, open and mount, grow, rotate the key), or the volume's deletion when encryption was
// turned off (its data copied out) or its add-on left the file (the volume-removal kind's change).

/** The volume a change makes: what dbform formats. */
function newAttrs(v: DesiredVolume): Attrs {
  return { size_mb: v.sizeMb, luks: LUKS_FORMAT.luks, cipher: LUKS_FORMAT.cipher, key_bits: LUKS_FORMAT.keyBits, hash: LUKS_FORMAT.hash, key_version: v.keyVersion, open: true, mounted: true };
}

/** The volume as found on the host. */
function observedAttrs(o: ObservedVolume): Attrs {
  const h = o.header;
  return {
    size_mb: Math.max(0, o.fileMb - LUKS_HEADER_MB),
    luks: h?.version ?? null,
    cipher: h?.cipher ?? null,
    key_bits: h?.keyBits ?? null,
    hash: h?.hash ?? null,
    key_version: h ? keyVersionOf(h.label) : null,
    open: o.open,
    mounted: o.mounted,
  };
}

function keyVersionOf(label: string): number | null {
  const m = /^dbform-key-v(\d+)$/.exec(label);
  return m ? Number(m[1]) : null;
}

const base = (v: VolumeWhere, host: string) => ({ address: `addon.${v.addon}.volume`, kind: 'volume', host, addon: v.addon });

/** The step fields every volume step carries. */
function where(v: VolumeWhere): Step {
  return { type: '', addon: v.addon, file: v.file, mapper: v.mapper, mountPoint: v.mountPoint, keyName: v.keyName, nextKeyName: v.nextKeyName, container: v.container };
}

function createChange(v: DesiredVolume, host: string, o: ObservedVolume): Change {
  const step: Step = { ...where(v), type: 'volume.create', sizeMb: v.sizeMb, label: keyLabel(v.keyVersion), migrate: o.unencryptedData };
  if (!o.unencryptedData) {
    return { ...base(v, host), action: 'create', reason: `add-on ${v.addon} has no encrypted volume`, before: null, after: newAttrs(v), hazards: [], steps: [step] };
  }
  return {
    ...base(v, host),
    action: 'create',
    reason: `encryption at rest turned on: the data of ${v.addon} moves onto a new LUKS volume`,
    before: null,
    after: newAttrs(v),
    hazards: [
      {
        code: 'RESTART',
        message: `${v.addon} is stopped while its data directory is copied into the new volume (about as long as copying its size on disk), then started; every row is kept and the unencrypted copy deleted`,
      },
    ],
    steps: [step],
  };
}

function updateSteps(v: DesiredVolume, o: ObservedVolume): { reasons: string[]; steps: Step[] } {
  const reasons: string[] = [];
  const steps: Step[] = [];
  if (!o.open || !o.mounted) {
    reasons.push(o.open ? 'volume open but not mounted, instance down' : 'volume closed, instance down');
    steps.push({ ...where(v), type: 'volume.open' });
  }
  const haveMb = o.fileMb - LUKS_HEADER_MB;
  if (haveMb < v.sizeMb) {
    reasons.push(`size ${haveMb} MB -> ${v.sizeMb} MB (online)`);
    steps.push({ ...where(v), type: 'volume.grow', sizeMb: v.sizeMb });
  }
  const version = o.header ? keyVersionOf(o.header.label) : null;
  if (o.rotationPending || (version ?? 0) < v.keyVersion) {
    reasons.push(o.rotationPending && version === v.keyVersion ? 'an interrupted key rotation is finished' : `key version ${version ?? '(none)'} -> ${v.keyVersion}: a new key is added, verified, then the old one removed`);
    steps.push({ ...where(v), type: 'volume.rotate-key', label: keyLabel(v.keyVersion) });
  }
  return { reasons, steps };
}

const sizeOnHost = (o: ObservedVolume) => `${Math.max(0, o.fileMb - LUKS_HEADER_MB)} MB`;

/** Encryption turned off with a volume on the host: the mirror of createChange's migration. */
function decryptChange(v: DesiredVolume, host: string, o: ObservedVolume): Change {
  return {
    ...base(v, host),
    action: 'delete',
    reason: `encryption at rest turned off: the data of ${v.addon} moves out of its LUKS volume to a plain directory`,
    before: observedAttrs(o),
    after: null,
    hazards: [
      {
        code: 'RESTART',
        message: `${v.addon} is stopped while its data directory is copied out of its ${sizeOnHost(o)} volume to a plain directory at ${v.mountPoint} (about as long as copying its size on disk), then started; every row is kept, then the volume and its key are deleted: its data is no longer encrypted at rest`,
      },
    ],
    steps: [{ ...where(v), type: 'volume.decrypt' }],
  };
}

/** The volume of an add-on no longer in the file (its container is removed before it): deleted with its key. */
export function volumeRemovalChange(host: string, at: VolumeWhere, o: ObservedVolume): Change {
  return {
    ...base(at, host),
    kind: 'volume-removal',
    action: 'delete',
    reason: `add-on ${at.addon} is no longer in the file`,
    before: observedAttrs(o),
    after: null,
    hazards: [
      {
        code: 'DATA_LOSS',
        message: `the encrypted volume of ${at.addon} (${at.file}, ${sizeOnHost(o)}) is closed and deleted with its key: what is on it cannot be recovered; backups are kept`,
      },
    ],
    steps: [{ ...where(at), type: 'volume.remove' }],
  };
}

export function diffVolume(placed: Placed<DesiredVolume | null>, o: ObservedVolume): Change[] {
  const v = placed.desired;
  if (v === null) return [];
  if (!v.encrypted) return o.exists ? [decryptChange(v, placed.host, o)] : [];
  if (!o.exists) return [createChange(v, placed.host, o)];
  const { reasons, steps } = updateSteps(v, o);
  if (steps.length === 0) return [];
  return [{ ...base(v, placed.host), action: 'update', reason: reasons.join('; '), before: observedAttrs(o), after: { ...newAttrs(v), size_mb: Math.max(v.sizeMb, o.fileMb - LUKS_HEADER_MB) }, hazards: [], steps }];
}

/** What no change repairs: a volume that is not what dbform makes, a smaller disk. */
export function volumeWarnings(placed: Placed<DesiredVolume>, o: ObservedVolume): string[] {
  const v = placed.desired;
  const out: string[] = [];
  const h = o.header;
  if (v.encrypted && h && (h.version !== LUKS_FORMAT.luks || h.cipher !== LUKS_FORMAT.cipher || h.keyBits !== LUKS_FORMAT.keyBits || h.hash !== LUKS_FORMAT.hash)) {
    out.push(`add-on ${v.addon}: its volume is LUKS${h.version} ${h.cipher} ${h.keyBits}-bit ${h.hash}, not what dbform makes (LUKS2 aes-xts-plain64 512-bit sha256)`);
  }
  if (v.encrypted && o.exists && o.fileMb - LUKS_HEADER_MB > v.sizeMb) {
    out.push(`add-on ${v.addon}: its volume (${o.fileMb - LUKS_HEADER_MB} MB) is larger than disk ${v.sizeMb} MB; volumes are never shrunk`);
  }
  return out;
}
