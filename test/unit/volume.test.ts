import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { volumePlacements, type DesiredVolume } from '../../src/resources/volume/desired.js';
import { diffVolume, volumeWarnings } from '../../src/resources/volume/diff.js';
import { NO_VOLUME, type ObservedVolume } from '../../src/resources/volume/gather.js';
import { parseLuksDump, parseProbe } from '../../src/resources/volume/probe.js';
import { createScript, decryptScript, openScript, removeScript, rotateScript } from '../../src/resources/volume/scripts.js';
import type { Placed } from '../../src/resources/kind.js';

// The volume kind's pure parts: what luksDump says, what the plan makes of what a host has, and the
// scripts' promise that no key is ever in them.

const DUMP = `LUKS header information
Version:       \t2
Epoch:         \t4
UUID:          \t869abf8a-4e5c-40b1-8bae-1957f6af19ce
Label:         \tdbform-key-v3
Subsystem:     \t(no subsystem)

Data segments:
  0: crypt
\toffset: 16777216 [bytes]
\tcipher: aes-xts-plain64
\tsector: 4096 [bytes]

Keyslots:
  0: luks2
\tKey:        512 bits
\tCipher:     aes-xts-plain64
\tPBKDF:      pbkdf2
\tHash:       sha256
  1: luks2
\tKey:        512 bits
Tokens:
Digests:
  0: pbkdf2
\tHash:       sha256
\tIterations: 1000`;

const HEADER = { version: 2, cipher: 'aes-xts-plain64', keyBits: 512, hash: 'sha256', label: 'dbform-key-v1', keySlots: 1 };

function placed(yamlAddon = 'encryptionAtRest: true\n    disk: 512MB'): Placed<DesiredVolume> {
  const config = loadConfig('databases.yaml', `version: 1
hosts:
  db-1:
    address: 10.77.0.11
    user: root
    hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl
    identityFile: ~/.ssh/id_ed25519
    dataDir: /srv/dbform
addons:
  shop:
    plan: postgresql-sandbox
    port: 31001
    ${yamlAddon}
`);
  return volumePlacements(config)[0]!;
}

const live = (o: Partial<ObservedVolume> = {}): ObservedVolume => ({ ...NO_VOLUME, exists: true, header: HEADER, fileMb: 512 + 16, open: true, mounted: true, ...o });

describe('luksDump', () => {
  it('reads version, data cipher, key size, digest hash, label and slots', () => {
    expect(parseLuksDump(DUMP.split('\n'))).toEqual({ version: 2, cipher: 'aes-xts-plain64', keyBits: 512, hash: 'sha256', label: 'dbform-key-v3', keySlots: 2 });
  });
  it('is no header when the file is not LUKS', () => {
    expect(parseLuksDump(['Device x is not a valid LUKS device.'])).toBeNull();
  });
  it('reads the probe of a host without device-mapper', () => {
    expect(parseProbe('cryptsetup=yes\n')).toMatchObject({ deviceMapper: false, cryptsetup: true, fileBytes: null, header: null, open: false, mountedFrom: null });
    const p = parseProbe(`dm=yes\ncryptsetup=yes\nbytes=553648128\n${DUMP.split('\n').map((l) => `dump:${l}`).join('\n')}\nopen=yes\nmounted=/dev/mapper/dbform-shop\n`);
    expect(p).toMatchObject({ deviceMapper: true, fileBytes: 553648128, open: true, mountedFrom: '/dev/mapper/dbform-shop' });
    expect(p.header?.label).toBe('dbform-key-v3');
  });
});

describe('the volume diff', () => {
  it('places the volume under the host dataDir, mounted on the add-on data directory, sized by disk:', () => {
    expect(placed().desired).toMatchObject({ file: '/srv/dbform/.volumes/shop.luks', mapper: 'dbform-shop', mountPoint: '/srv/dbform/shop', sizeMb: 512, keyName: 'volume/shop/key' });
  });

  it('creates a missing volume, without hazard when there is no data yet', () => {
    const [c] = diffVolume(placed(), NO_VOLUME);
    expect(c).toMatchObject({ action: 'create', hazards: [], after: { cipher: 'aes-xts-plain64', key_bits: 512, hash: 'sha256', luks: 2, size_mb: 512 } });
    expect(c!.steps).toEqual([expect.objectContaining({ type: 'volume.create', migrate: false, sizeMb: 512, label: 'dbform-key-v1' })]);
  });

  it('moves existing unencrypted data onto a new volume, saying it restarts the add-on', () => {
    const [c] = diffVolume(placed(), { ...NO_VOLUME, unencryptedData: true });
    expect(c!.hazards.map((h) => h.code)).toEqual(['RESTART']);
    expect(c!.steps[0]).toMatchObject({ type: 'volume.create', migrate: true });
  });

  it('opens a closed volume (after a reboot), then nothing more', () => {
    const [c] = diffVolume(placed(), live({ open: false, mounted: false }));
    expect(c!.reason).toBe('volume closed, instance down');
    expect(c!.steps.map((s) => s.type)).toEqual(['volume.open']);
    expect(diffVolume(placed(), live())).toEqual([]);
  });

  it('grows a volume smaller than disk:, and never shrinks one (a warning)', () => {
    const [c] = diffVolume(placed(), live({ fileMb: 256 + 16 }));
    expect(c!.reason).toBe('size 256 MB -> 512 MB (online)');
    expect(c!.steps.map((s) => s.type)).toEqual(['volume.grow']);
    expect(diffVolume(placed(), live({ fileMb: 1024 + 16 }))).toEqual([]);
    expect(volumeWarnings(placed(), live({ fileMb: 1024 + 16 }))).toEqual(['add-on shop: its volume (1024 MB) is larger than disk 512 MB; volumes are never shrunk']);
  });

  it('rotates when the key version is raised, and finishes a rotation left pending', () => {
    const [c] = diffVolume(placed('encryptionAtRest: true\n    disk: 512MB\n    encryptionKeyVersion: 2'), live());
    expect(c!.steps).toEqual([expect.objectContaining({ type: 'volume.rotate-key', label: 'dbform-key-v2' })]);
    const [pending] = diffVolume(placed(), live({ rotationPending: true }));
    expect(pending!.reason).toBe('an interrupted key rotation is finished');
    expect(pending!.steps.map((s) => s.type)).toEqual(['volume.rotate-key']);
  });

  it('does nothing for an add-on without encryption and without a volume', () => {
    expect(diffVolume(placed('encryptionAtRest: false'), NO_VOLUME)).toEqual([]);
  });

  it('turning encryption off copies the data out of the volume (RESTART, its size stated), then deletes the volume', () => {
    const off = placed('encryptionAtRest: false\n    disk: 512MB');
    const changes = diffVolume(off, live({ fileMb: 320 + 16 }));
    expect(changes).toHaveLength(1);
    const [c] = changes;
    expect(c).toMatchObject({ address: 'addon.shop.volume', kind: 'volume', action: 'delete', after: null, before: { size_mb: 320, cipher: 'aes-xts-plain64', open: true, mounted: true } });
    expect(c!.reason).toBe('encryption at rest turned off: the data of shop moves out of its LUKS volume to a plain directory');
    expect(c!.hazards).toHaveLength(1);
    expect(c!.hazards[0]!.code).toBe('RESTART');
    expect(c!.hazards[0]!.message).toContain('shop is stopped while its data directory is copied out of its 320 MB volume to a plain directory at /srv/dbform/shop');
    expect(c!.hazards[0]!.message).toContain('every row is kept');
    expect(c!.steps).toEqual([{ type: 'volume.decrypt', addon: 'shop', file: '/srv/dbform/.volumes/shop.luks', mapper: 'dbform-shop', mountPoint: '/srv/dbform/shop', keyName: 'volume/shop/key', nextKeyName: 'volume/shop/key.next', container: 'dbform-shop' }]);
    // A volume closed by a reboot is turned off the same way (the step opens it to copy the data out).
    expect(diffVolume(off, live({ open: false, mounted: false }))[0]!.steps.map((s) => s.type)).toEqual(['volume.decrypt']);
    // No warning any more: the change does it.
    expect(volumeWarnings(off, live())).toEqual([]);
  });
});

describe('the volume scripts', () => {
  const where = { file: '/srv/dbform/.volumes/shop.luks', mapper: 'dbform-shop', mountPoint: '/srv/dbform/shop' };
  it('read keys from stdin only, and give them to cryptsetup through pipes, never as an argument', () => {
    for (const script of [createScript(where, 512, 'dbform-key-v1'), openScript(where), rotateScript(where, 'dbform-key-v2'), decryptScript(where, 'dbform-shop')]) {
      expect(script).toContain('IFS= read -r key');
      for (const line of script.split('\n').filter((l) => l.includes('cryptsetup') && !l.includes('isLuks') && !l.includes('luksDump') && !l.includes('config') && !l.includes('status') && !l.includes('cryptsetup close'))) {
        expect(line, line).toMatch(/--key-file=(-|\/proc\/self\/fd\/3)/);
        expect(line, line).toMatch(/printf %s "\$(key|next|1)" \|/);
      }
    }
  });
  it('turning off: copies out (completed by a rename) before it unmounts, closes, replaces the mount point, and deletes the file last', () => {
    const script = decryptScript(where, 'dbform-shop');
    const at = (text: string) => {
      expect(script, text).toContain(text);
      return script.indexOf(text);
    };
    const order = [
      at('docker stop -t 30 dbform-shop'),
      at('cp -a "$d/." "$d.decrypting/"'),
      at('mv "$d.decrypting" "$d.decrypted"'),
      at('umount "$d"'),
      at('cryptsetup close "$m"'),
      at('rm -rf "$d"\nmv "$d.decrypted" "$d"'),
      at('rm -f "$f" "$f.new"'),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
  it('removal: unmounts and closes before it deletes the mount point and the file, and reads no key', () => {
    const script = removeScript(where);
    expect(script).not.toContain('read -r');
    expect(script.indexOf('umount "$d"')).toBeLessThan(script.indexOf('cryptsetup close "$m"'));
    expect(script.indexOf('cryptsetup close "$m"')).toBeLessThan(script.indexOf('rm -rf "$d"'));
    expect(script.indexOf('rm -rf "$d"')).toBeLessThan(script.indexOf('rm -f "$f" "$f.new"'));
  });
  it('formats LUKS2 aes-xts-plain64 with a 512-bit key and sha256', () => {
    expect(createScript(where, 512, 'dbform-key-v1')).toContain('luksFormat -q --type luks2 --cipher aes-xts-plain64 --key-size 512 --hash sha256');
    expect(createScript(where, 512, 'dbform-key-v1')).toContain(`fallocate -l ${(512 + 16) * 1024 * 1024} "$f.new"`);
  });
});
