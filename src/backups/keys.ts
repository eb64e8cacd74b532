import { hkdfSync } from 'node:crypto';
import { bech32 } from '@scure/base';
import { identityToRecipient } from 'age-encryption';

// Each add-on's backups are encrypted on its host with age to an X25519 recipient (public key): the host
// can encrypt but never decrypt. The identity (private key) is derived from DBFORM_MASTER_KEY and the
// add-on's name, so it exists wherever the master key does, needs no storage, and survives the add-on
// and its host: backups of a removed add-on can still be downloaded.

export function backupIdentity(masterKey: string, addon: string): string {
  const secret = Buffer.from(hkdfSync('sha256', Buffer.from(masterKey, 'utf8'), 'dbform/backups', `age-x25519/v1/${addon}`, 32));
  return bech32.encode('age-secret-key-', bech32.toWords(secret), false).toUpperCase();
}

export async function backupRecipient(masterKey: string, addon: string): Promise<string> {
  return identityToRecipient(backupIdentity(masterKey, addon));
}
