import { type KeyObject, X509Certificate, createPublicKey, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { FleetCa } from './ca.js';
import { EC_ALGORITHM, subtle } from './webcrypto.js';

// Server certificates: one per add-on, for the names and addresses clients use to reach its host,
// valid a year and renewed by a plan change when under 30 days remain. The members of high availability
// also get certificates that authenticate them as clients (etcd's peers, Patroni to etcd): `usages`.

export const VALIDITY_DAYS = 365;
export const RENEW_BEFORE_DAYS = 30;
const DAY = 24 * 3600 * 1000;

/** What a certificate may prove: a server's identity, a client's, or both (an etcd member is both to its peers). */
export type CertUsage = 'server' | 'client';

/** A name written `dns:ADDRESS` is an address as a DNS name too: pgBackRest 2.45 matches a TLS server's
 *  certificate against its DNS names only, so a member that pgBackRest reaches by address carries it so
 *  (pitr/standby-backup.ts). Any other address is an IP name, the rest DNS names. */
export const DNS_ADDRESS_PREFIX = 'dns:';

function altName(n: string): { type: 'ip' | 'dns'; value: string } {
  if (n.startsWith(DNS_ADDRESS_PREFIX)) return { type: 'dns', value: n.slice(DNS_ADDRESS_PREFIX.length) };
  return isIP(n) ? { type: 'ip', value: n } : { type: 'dns', value: n };
}

export async function issueServerCert(
  ca: FleetCa, addon: string, names: string[], now = new Date(), usages: readonly CertUsage[] = ['server'],
): Promise<{ certPem: string; keyPem: string }> {
  const { x509 } = await import('./x509.js');
  const purposes = usages.map((u) => (u === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth));
  const keys = (await subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(12).toString('hex'),
    subject: `CN=${addon}`,
    issuer: ca.name,
    notBefore: new Date(now.getTime() - 3600 * 1000),
    notAfter: new Date(now.getTime() + VALIDITY_DAYS * DAY),
    signingAlgorithm: EC_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(purposes),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names.map(altName))] : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString('pem') + '\n', keyPem };
}

export interface CertFacts {
  names: string[];
  notAfter: string;
  signedByCa: boolean;
}

const caKeys = new Map<string, KeyObject>();

/** The fleet CA's public key as a KeyObject, parsed once per run rather than once per certificate checked. */
export function caKeyObject(caPublicKeyPem: string): KeyObject {
  let key = caKeys.get(caPublicKeyPem);
  if (!key) caKeys.set(caPublicKeyPem, (key = createPublicKey(caPublicKeyPem)));
  return key;
}

/** Pure: what a server certificate says, and whether the fleet CA's key signed it. */
export function inspectCert(pem: string, caPublicKeyPem: string): CertFacts | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return null;
  }
  const names = (cert.subjectAltName ?? '')
    .split(', ')
    .filter(Boolean)
    .map((s) => {
      const name = s.replace(/^(DNS|IP Address):/, '');
      return s.startsWith('DNS:') && isIP(name) ? `${DNS_ADDRESS_PREFIX}${name}` : name;
    });
  return {
    names: names.sort(),
    notAfter: new Date(cert.validTo).toISOString(),
    signedByCa: cert.verify(caKeyObject(caPublicKeyPem)),
  };
}

export function needsRenewal(notAfter: string, now: Date): boolean {
  return new Date(notAfter).getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY;
}
