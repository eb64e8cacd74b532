import { shq } from '../../util/shell.js';
import { LUKS_FORMAT, LUKS_HEADER_MB } from './desired.js';

// The shell scripts apply runs on a host for a volume, as pure functions of the step's fields. Keys travel
// only on the script's standard input, one per line: the script reads them into shell variables and hands
// them to cryptsetup through pipes from `printf` (a shell builtin, so no process ever has a key in its
// argument list, `ps` shows `--key-file=-`), never through a file, the environment or an argument.
//
// Key-slot cost: the key is 512 random bits (88 characters of base64), not a passphrase a person chose. A
// key derivation function is there to make guessing a weak passphrase slow; nobody can guess 2^512 keys
// however fast each guess is, so every slot uses PBKDF2-SHA256 with cryptsetup's minimum iteration count
// (1000) instead of argon2id's default of 1 GB and 2 s per unlock (11-30 s on a small VM, per open).

const PBKDF = '--pbkdf pbkdf2 --pbkdf-force-iterations 1000';

export interface VolumePaths {
  file: string;
  mapper: string;
  mountPoint: string;
}

/** The script's prologue: paths as variables, the keys read from stdin, failures stop the script. */
function prologue(v: VolumePaths, keys: string[]): string {
  return [
    'set -e',
    `f=${shq(v.file)}; m=${shq(v.mapper)}; d=${shq(v.mountPoint)}`,
    ...keys.map((k) => `IFS= read -r ${k}`),
    // Checks with a key: true when it opens a key slot of the volume.
    'opens() { printf %s "$1" | cryptsetup open --test-passphrase --key-file=- "$f" 2>/dev/null; }',
  ].join('\n');
}

const mountVolume = [
  'mkdir -p "$d"',
  'if ! awk -v d="$d" \'$2 == d { found = 1 } END { exit !found }\' /proc/mounts; then mount -o noatime "/dev/mapper/$m" "$d"; fi',
].join('\n');

/** Unmounts and closes the volume, whichever of the two is still done; needs no key. */
const closeVolume = [
  'if awk -v d="$d" \'$2 == d { found = 1 } END { exit !found }\' /proc/mounts; then umount "$d"; fi',
  'if [ -e "/dev/mapper/$m" ]; then cryptsetup close "$m"; fi',
].join('\n');

/**
 * Copies a data directory's contents with owners, modes and times (both ways of a migration), then syncs; a
 * failed copy (a full disk) ends the script. Why not `cp && sync` alone: `set -e` does not stop at a command
 * that fails before the end of an && list, and what follows a copy deletes its source.
 */
const copyTree = (from: string, to: string) => `{ cp -a "${from}/." "${to}/" && sync; } || { echo "copying ${from} to ${to} failed" >&2; exit 1; }`;

/** Stops the add-on's container, if there is one, before its data directory moves. */
const stopContainer = (container: string) => `if docker inspect ${shq(container)} >/dev/null 2>&1; then docker stop -t 30 ${shq(container)} >/dev/null; fi`;

/** Opens the volume with the key, or the next key of a rotation cut short after its old slot was removed. */
const openVolume = [
  'if [ ! -e "/dev/mapper/$m" ]; then',
  '  printf %s "$key" | cryptsetup open --type luks2 --key-file=- "$f" "$m" 2>/dev/null \\',
  '    || { [ -n "$next" ] && printf %s "$next" | cryptsetup open --type luks2 --key-file=- "$f" "$m"; } \\',
  '    || { echo "no key of the keystore opens $f" >&2; exit 1; }',
  'fi',
].join('\n');

/**
 * Makes the volume (formats a new file, renamed into place only once formatted, so that an interrupted
 * create never leaves a half-made volume under the real name), opens it, makes the filesystem if there is
 * none, mounts it. stdin: the key. Idempotent: each part is skipped when already done.
 */
export function createScript(v: VolumePaths, sizeMb: number, label: string): string {
  const bytes = (sizeMb + LUKS_HEADER_MB) * 1024 * 1024;
  return [
    prologue(v, ['key']),
    'next=',
    'mkdir -p "$(dirname "$f")" && chmod 700 "$(dirname "$f")"',
    'if ! cryptsetup isLuks "$f" 2>/dev/null; then',
    `  rm -f "$f.new" && fallocate -l ${bytes} "$f.new"`,
    `  printf %s "$key" | cryptsetup luksFormat -q --type luks2 --cipher ${LUKS_FORMAT.cipher} --key-size ${LUKS_FORMAT.keyBits} --hash ${LUKS_FORMAT.hash} ${PBKDF} --label ${shq(label)} --key-file=- "$f.new"`,
    '  sync && mv "$f.new" "$f"',
    'fi',
    openVolume,
    // blkid -p exits 2 when the device holds no filesystem (a volume cut short before mkfs).
    'rc=0; blkid -p "/dev/mapper/$m" >/dev/null 2>&1 || rc=$?',
    'if [ "$rc" = 2 ]; then mkfs.ext4 -q -m 0 -L "$m" "/dev/mapper/$m"; fi',
    mountVolume,
    // Turning encryption on for an add-on with data: the data directory was moved aside (migrateAsideScript);
    // copied onto the volume, then the unencrypted copy is deleted. A copy cut short is done again.
    `if [ -d "$d.unencrypted" ]; then ${copyTree('$d.unencrypted', '$d')} && rm -rf "$d.unencrypted"; fi`,
    'sync',
  ].join('\n');
}

/** Before a migration: stops the container and moves the unencrypted data directory aside (a rename). */
export function migrateAsideScript(v: VolumePaths, container: string): string {
  return [
    'set -e',
    `d=${shq(v.mountPoint)}`,
    'if awk -v d="$d" \'$2 == d { found = 1 } END { exit !found }\' /proc/mounts; then exit 0; fi',
    stopContainer(container),
    'if [ -e "$d" ] && [ ! -e "$d.unencrypted" ]; then mv "$d" "$d.unencrypted"; fi',
  ].join('\n');
}

/**
 * Turning encryption off, the mirror of the migration above: stops the container, copies the volume's data
 * to `$d.decrypted` (complete once renamed from `$d.decrypting`), unmounts and closes the volume, puts the
 * copy in place of the mount point, and deletes the volume file last: until then the plan still shows the
 * change, and running the script again converges from wherever it was cut short. stdin: the key, then the
 * next key of an unfinished rotation (or an empty line): only used when the volume is closed (a reboot).
 */
export function decryptScript(v: VolumePaths, container: string): string {
  return [
    prologue(v, ['key', 'next']),
    stopContainer(container),
    'if [ ! -d "$d.decrypted" ]; then',
    openVolume,
    mountVolume,
    '  rm -rf "$d.decrypting"',
    '  mkdir -p "$d.decrypting"',
    `  ${copyTree('$d', '$d.decrypting')}`,
    // The filesystem's own lost+found is not the add-on's data.
    '  rmdir "$d.decrypting/lost+found" 2>/dev/null || true',
    '  mv "$d.decrypting" "$d.decrypted"',
    '  sync',
    'fi',
    afterClose('mv "$d.decrypted" "$d"'),
  ].join('\n');
}

/**
 * Removing an add-on's volume (the add-on left the file; its container was removed first): unmounts,
 * closes, deletes what is on the mount point (the container's removal leaves a mounted directory to this)
 * and the volume file. No key needed: the data goes with the file and its key.
 */
export function removeScript(v: VolumePaths): string {
  return [prologue(v, []), afterClose(':')].join('\n');
}

/** Closes the volume, replaces its mount point (now a plain directory) by `then`, deletes the volume file. */
function afterClose(then: string): string {
  return [
    closeVolume,
    'if awk -v d="$d" \'$2 == d { found = 1 } END { exit !found }\' /proc/mounts; then echo "$d is still mounted" >&2; exit 1; fi',
    // One command a line: `set -e` stops at each (the volume file must not go if the copy is not in place).
    'rm -rf "$d"',
    then,
    'rm -f "$f" "$f.new"',
    // The volumes' directory goes with the last volume (rmdir refuses while another add-on has one).
    'rmdir "$(dirname "$f")" 2>/dev/null || true',
    'sync',
  ].join('\n');
}

/** Opens and mounts. stdin: the key, then the next key of an unfinished rotation (or an empty line). */
export function openScript(v: VolumePaths): string {
  return [prologue(v, ['key', 'next']), openVolume, mountVolume].join('\n');
}

/**
 * Grows the file, the loop device over it, the LUKS mapping and the filesystem, online. stdin: the key
 * (LUKS2 needs it to resize a mapping).
 */
export function growScript(v: VolumePaths, sizeMb: number): string {
  const bytes = (sizeMb + LUKS_HEADER_MB) * 1024 * 1024;
  return [
    prologue(v, ['key']),
    `fallocate -l ${bytes} "$f"`,
    'loop=$(cryptsetup status "$m" | awk \'$1 == "device:" { print $2 }\')',
    'case "$loop" in /dev/loop*) losetup -c "$loop" ;; esac',
    'printf %s "$key" | cryptsetup resize --key-file=- "$m"',
    'resize2fs "/dev/mapper/$m" >/dev/null 2>&1',
  ].join('\n');
}

/**
 * A key rotation's LUKS part: adds the next key (unless it already opens), checks that it opens, removes
 * the old key's slot (unless the old key no longer opens: a rotation cut short after that) and records
 * the key version in the label. At every point at least one key the keystore holds opens the volume.
 * stdin: the key, then the next key.
 */
export function rotateScript(v: VolumePaths, label: string): string {
  return [
    prologue(v, ['key', 'next']),
    '[ -n "$next" ] && [ -n "$key" ] || { echo "a key is missing" >&2; exit 1; }',
    // The existing key on fd 3, the new one on stdin: both from pipes, none in a file.
    `if ! opens "$next"; then printf %s "$key" | { printf %s "$next" | cryptsetup luksAddKey -q ${PBKDF} --key-file=/proc/self/fd/3 "$f" -; } 3<&0; fi`,
    'opens "$next" || { echo "the new key does not open $f after it was added" >&2; exit 1; }',
    'if [ "$key" != "$next" ] && opens "$key"; then printf %s "$key" | cryptsetup luksRemoveKey -q --key-file=- "$f"; fi',
    `cryptsetup config "$f" --label ${shq(label)}`,
  ].join('\n');
}

/** The container bound the mount point before the volume was mounted on it: restart it if it exists. */
export function restartContainerScript(container: string): string {
  return `if docker inspect ${shq(container)} >/dev/null 2>&1; then docker restart -t 30 ${shq(container)} >/dev/null; fi`;
}
