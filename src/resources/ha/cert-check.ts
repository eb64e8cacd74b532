import { HA_DIR } from './dir.js';
import type { DesiredEtcd, DesiredPatroni } from './model.js';
import { ETCD_CLIENT_CERT, ETCD_MEMBER_CERT, MEMBER_CERT } from './tls.js';
import { inspectCert, needsRenewal } from '../tls/server-cert.js';

// Pure: whether the certificates a container of high availability serves or shows (a Patroni member's server
// and etcd client certificates, an etcd member's) must be issued again, and why. apply issues one when it makes
// the container (ha/certs.ts); this is the check between two such moments, so that a certificate is renewed 30
// days before it expires, like a single instance's, instead of expiring under a cluster that never changes.

export interface CertWant {
  /** Path in the container (under HA_DIR/tls). */
  cert: string;
  /** Names it must cover (a client certificate: its subject's host name). */
  names: readonly string[];
}

/** Where `want` is on the host, under the container's directory. */
export const certOnHost = (dir: string, want: CertWant): string => `${dir}${want.cert.slice(HA_DIR.length)}`;

/** The reasons to issue the certificates again (none: nothing to do). `pems`: each certificate as read on the
 *  host (by path in the container; null: missing). */
export function certRenewalReasons(wants: readonly CertWant[], pems: Readonly<Record<string, string | null>>, caPublicKeyPem: string, now: Date): string[] {
  return wants.flatMap((want) => {
    const file = want.cert.slice(want.cert.lastIndexOf('/') + 1);
    const pem = pems[want.cert];
    if (pem === undefined) return []; // not read (a recording made before this check)
    const facts = pem ? inspectCert(pem, caPublicKeyPem) : null;
    if (!facts) return [pem ? `${file} cannot be read` : `${file} is missing`];
    const reasons: string[] = [];
    if (!facts.signedByCa) reasons.push(`${file} is not issued by the fleet CA`);
    const lacking = want.names.filter((n) => !facts.names.includes(n));
    if (lacking.length) reasons.push(`${file} does not cover ${lacking.join(', ')}`);
    if (needsRenewal(facts.notAfter, now)) reasons.push(`${file} expires on ${facts.notAfter.slice(0, 10)} (renewed 30 days ahead)`);
    return reasons;
  });
}

/** A Patroni member's: its server certificate (PostgreSQL, the REST API) and its client certificate for etcd,
 *  as patroni/apply.ts issues them. */
export const patroniCertWants = (d: DesiredPatroni, host: string): CertWant[] => [
  { cert: MEMBER_CERT.cert, names: d.tlsNames },
  { cert: ETCD_CLIENT_CERT.cert, names: [host] },
];

/** An etcd member's one certificate (a server to clients and peers, a client to its peers). */
export const etcdCertWants = (d: DesiredEtcd): CertWant[] => [{ cert: ETCD_MEMBER_CERT.cert, names: d.tlsNames }];
