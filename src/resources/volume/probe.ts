import { shq } from '../../util/shell.js';

// What gather reads of a LUKS volume on a host, in one read-only command: whether the host can run one at
// all (device-mapper, cryptsetup), the volume's header (luksDump needs no key), whether it is open and
// mounted, and whether unencrypted data sits on its mount point. No key is read or sent.

export interface VolumeLocation {
  file: string;
  mapper: string;
  mountPoint: string;
}

export interface LuksHeader {
  version: number;
  cipher: string;
  keyBits: number;
  hash: string;
  label: string;
  /** Number of key slots in use. */
  keySlots: number;
}

export interface VolumeProbe {
  deviceMapper: boolean;
  cryptsetup: boolean;
  /** Size of the container file in bytes; null when there is none. */
  fileBytes: number | null;
  /** Its LUKS header; null when there is no file or it is not LUKS. */
  header: LuksHeader | null;
  open: boolean;
  /** The device mounted on the mount point (null: nothing mounted there). */
  mountedFrom: string | null;
  /** A PostgreSQL data directory is on the mount point (on the volume if mounted, else unencrypted). */
  pgdata: boolean;
}

export function probeCommand(v: VolumeLocation): string {
  const f = shq(v.file);
  const d = shq(v.mountPoint);
  return [
    // The kernel's device-mapper: registered (/proc/misc), or a module modprobe would load. A
    // /dev/mapper/control node alone proves nothing (installing cryptsetup makes one on any kernel).
    `if grep -qw device-mapper /proc/misc 2>/dev/null || modprobe -n -q dm_mod 2>/dev/null; then echo dm=yes; fi`,
    `if command -v cryptsetup >/dev/null 2>&1; then echo cryptsetup=yes; fi`,
    `if [ -f ${f} ]; then echo "bytes=$(stat -c %s ${f})"; cryptsetup luksDump ${f} 2>/dev/null | sed 's/^/dump:/'; fi`,
    `if [ -e ${shq(`/dev/mapper/${v.mapper}`)} ]; then echo open=yes; fi`,
    `awk -v d=${d} '$2 == d { print "mounted=" $1 }' /proc/mounts`,
    `if [ -s ${shq(`${v.mountPoint}/pgdata/PG_VERSION`)} ]; then echo pgdata=yes; fi`,
    'true',
  ].join('; ');
}

/** Pure: `cryptsetup luksDump` -> the header's fields that matter (null if it is not a LUKS header). */
export function parseLuksDump(lines: string[]): LuksHeader | null {
  const value = (re: RegExp) => {
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return m[1]!.trim();
    }
    return undefined;
  };
  const version = value(/^Version:\s*(\d+)/);
  if (version === undefined) return null;
  const section = (name: string) => {
    const start = lines.findIndex((l) => l.startsWith(`${name}:`));
    if (start < 0) return [];
    const end = lines.findIndex((l, i) => i > start && /^\S/.test(l));
    return lines.slice(start + 1, end < 0 ? undefined : end);
  };
  const segments = section('Data segments');
  const keyslots = section('Keyslots');
  const digests = section('Digests');
  const field = (ls: string[], re: RegExp) => ls.map((l) => re.exec(l)?.[1]).find((x) => x !== undefined)?.trim() ?? '';
  return {
    version: Number(version),
    cipher: field(segments, /^\s+cipher:\s*(\S+)/),
    keyBits: Number(field(keyslots, /^\s+Key:\s*(\d+) bits/) || 0),
    hash: field(digests, /^\s+Hash:\s*(\S+)/),
    label: (value(/^Label:\s*(.*)$/) ?? '').replace(/^\(no label\)$/, ''),
    keySlots: keyslots.filter((l) => /^\s+\d+: luks2/.test(l)).length,
  };
}

export function parseProbe(stdout: string): VolumeProbe {
  const lines = stdout.split('\n');
  const flag = (name: string) => lines.includes(`${name}=yes`);
  const bytes = lines.find((l) => l.startsWith('bytes='));
  const mounted = lines.find((l) => l.startsWith('mounted='));
  const dump = lines.filter((l) => l.startsWith('dump:')).map((l) => l.slice(5));
  return {
    deviceMapper: flag('dm'),
    cryptsetup: flag('cryptsetup'),
    fileBytes: bytes ? Number(bytes.slice(6)) : null,
    header: dump.length ? parseLuksDump(dump) : null,
    open: flag('open'),
    mountedFrom: mounted ? mounted.slice(8) : null,
    pgdata: flag('pgdata'),
  };
}

/** Lists the volume files under a host's dataDir, one per line (nothing when there is no such directory). */
export function volumeFilesCommand(dataDir: string): string {
  return `for f in ${shq(`${dataDir}/.volumes`)}/*.luks; do [ -f "$f" ] && printf '%s\\n' "\${f##*/}"; done; true`;
}

/** Pure: the listing -> the add-ons whose volume it is (names dbform could have made, nothing else). */
export function parseVolumeFiles(stdout: string): string[] {
  return stdout.split('\n').map((l) => /^([a-z][a-z0-9-]*)\.luks$/.exec(l)?.[1]).filter((a): a is string => a !== undefined).sort();
}
