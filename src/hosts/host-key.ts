import { createHash } from 'node:crypto';

// Pinned host keys are written like an OpenSSH known_hosts entry without the address:
// "ssh-ed25519 AAAAC3Nz...". Fingerprints are shown the way `ssh-keygen -lf` shows them.

export interface PinnedKey {
  algorithm: string;
  blob: Buffer;
}

export function parseHostKey(text: string): PinnedKey {
  const [algorithm, b64] = text.trim().split(/\s+/);
  if (!algorithm || !b64) throw new Error(`hostKey must look like "ssh-ed25519 AAAA...", got ${JSON.stringify(text)}`);
  return { algorithm, blob: Buffer.from(b64, 'base64') };
}

export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name stored at the start of an SSH public key blob (uint32 length + name). */
export function blobAlgorithm(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('ascii');
}

export function formatHostKey(blob: Buffer): string {
  return `${blobAlgorithm(blob)} ${blob.toString('base64')}`;
}

/** Host key algorithms to offer so that the server presents the pinned kind of key. */
export function serverHostKeyAlgorithms(algorithm: string): string[] {
  if (algorithm === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [algorithm];
}
