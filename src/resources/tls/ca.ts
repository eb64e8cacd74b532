import { createECDH, createHash, hkdfSync } from 'node:crypto';
import { EC_ALGORITHM, subtle } from './webcrypto.js';

// The fleet's certificate authority. Its P-256 key is derived from DBFORM_MASTER_KEY, so every machine
// that holds the master key has the same CA without any coordination or state to sync, and the key is
// kept exactly as safe as the keystore (whoever has the master key can read every password anyway).
// The CA certificate is re-signed when needed (ECDSA signatures are randomized), but its subject and
// key never change, so any copy a client trusts verifies every server certificate of the fleet.

const P256_ORDER = BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551');

export interface FleetCa {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** PEM of the CA's public key (SubjectPublicKeyInfo): what a server certificate must be signed with. */
  publicKeyPem: string;
  name: string;
  certPem(): Promise<string>;
}

function scalarFrom(masterKey: string): Buffer {
  let seed = Buffer.from(hkdfSync('sha256', Buffer.from(masterKey, 'utf8'), 'dbform/fleet-ca', 'p-256/v1', 32));
  // A uniformly random 256-bit value is >= the group order with probability ~2^-32: hash again then.
  while (BigInt(`0x${seed.toString('hex')}`) >= P256_ORDER || seed.every((b) => b === 0)) {
    seed = createHash('sha256').update(seed).digest();
  }
  return seed;
}

export async function fleetCa(masterKey: string): Promise<FleetCa> {
  const d = scalarFrom(masterKey);
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey(); // 0x04 || X || Y
  const jwk = { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') };
  const privateKey = await subtle.importKey('jwk', { ...jwk, d: d.toString('base64url') }, EC_ALGORITHM, true, ['sign']);
  const publicKey = await subtle.importKey('jwk', jwk, EC_ALGORITHM, true, ['verify']);
  const spki = Buffer.from(await subtle.exportKey('spki', publicKey));
  const publicKeyPem = `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`;
  const id = createHash('sha256').update(spki).digest('hex').slice(0, 12);
  const name = `CN=dbform fleet CA ${id}`;
  return {
    privateKey,
    publicKey,
    publicKeyPem,
    name,
    async certPem() {
      const { x509 } = await import('./x509.js');
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: id,
        name,
        notBefore: new Date('2025-01-01T00:00:00Z'),
        notAfter: new Date('2050-01-01T00:00:00Z'),
        signingAlgorithm: EC_ALGORITHM,
        keys: { privateKey, publicKey },
        extensions: [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          await x509.SubjectKeyIdentifierExtension.create(publicKey),
        ],
      });
      return cert.toString('pem') + '\n';
    },
  };
}
