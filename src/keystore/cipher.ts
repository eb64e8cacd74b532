import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

// AES-256-GCM sealing of keystore entries. The entry's name is the additional authenticated data, so an
// encrypted entry copied under another name (another add-on's password, say) fails to open.

const VERSION = 'v1';

export function deriveKey(masterKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(masterKey, 'utf8'), 'dbform/keystore', 'aes-256-gcm/v1', 32));
}

export function seal(key: Buffer, name: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(name, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join('.');
}

export function open(key: Buffer, name: string, sealed: string): string {
  const [version, iv, tag, data] = sealed.trim().split('.');
  if (version !== VERSION || !iv || !tag || data === undefined) throw new Error(`keystore entry ${name} is malformed`);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  decipher.setAAD(Buffer.from(name, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(`keystore entry ${name} cannot be decrypted: DBFORM_MASTER_KEY is not the key it was sealed with`);
  }
}
