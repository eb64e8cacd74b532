import { createPrivateKey, createPublicKey, hkdfSync } from 'node:crypto';
import { bech32 } from '@scure/base';

// Each add-on's backups are encrypted on its host with age to an X25519 recipient (public key): the host
// can encrypt but never decrypt. The identity (private key) is derived from DBFORM_MASTER_KEY and the
// add-on's name, so it exists wherever the master key does, needs no storage, and survives the add-on
// and its host: backups of a removed add-on can still be downloaded.

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

function secretOf(masterKey: string, addon: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(masterKey, 'utf8'), 'dbform/backups', `age-x25519/v1/${addon}`, 32));
}

export function backupIdentity(masterKey: string, addon: string): string {
  return bech32.encode('age-secret-key-', bech32.toWords(secretOf(masterKey, addon)), false).toUpperCase();
}

/** The age recipient ("age1...") of an add-on, computed with Node's own X25519 (no age library needed). */
export function backupRecipient(masterKey: string, addon: string): string {
  const key = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, secretOf(masterKey, addon)]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return bech32.encode('age', bech32.toWords(spki.subarray(spki.length - 32)), false);
}
