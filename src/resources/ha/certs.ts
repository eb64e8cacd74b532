import { X509Certificate } from 'node:crypto';
import type { ApplyContext } from '../../apply/context.js';
import { shq } from '../../util/shell.js';
import { writeDataFile } from '../data-files.js';
import { type CertUsage, inspectCert, issueServerCert, needsRenewal } from '../tls/server-cert.js';
import { HA_DIR } from './dir.js';
import { CA_FILE } from './tls.js';

// Apply side of ha/tls.ts: the fleet CA's certificate and each container's certificates in its host
// directory. A certificate is issued when missing, not the fleet CA's, about to expire, or not covering every
// name it must (a member made before its API had TLS lacks 127.0.0.1): the private key is made here and only
// written to the host (mode 600, owned like the directory: the image's postgres user), never in a plan.

const onHost = (dir: string, path: string) => `${dir}${path.slice(HA_DIR.length)}`;

/** Whether `pem` is a certificate of the fleet CA's key (a copy made from another master key is not). */
function isFleetCa(pem: string, caPublicKeyPem: string): boolean {
  try {
    return new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'pem' }) === caPublicKeyPem;
  } catch {
    return false;
  }
}

/** Writes the fleet CA's certificate into `dir` (the container's directory on the host) unless it is there. */
export async function ensureCaFile(ctx: ApplyContext, dir: string): Promise<void> {
  const current = await ctx.host.exec(`cat ${shq(onHost(dir, CA_FILE))} 2>/dev/null`);
  if (current.code === 0 && isFleetCa(current.stdout, ctx.ca.publicKeyPem)) return;
  await writeDataFile(ctx.host, `${dir}/tls`, 'root.crt', await ctx.ca.certPem(), '644');
}

export interface CertRequest {
  /** Paths in the container (under HA_DIR/tls). */
  file: { cert: string; key: string };
  subject: string;
  names: string[];
  usages: readonly CertUsage[];
}

/** Makes sure the certificate `want` names is valid in `dir`; returns whether it issued a new one. */
export async function ensureCert(ctx: ApplyContext, dir: string, want: CertRequest): Promise<boolean> {
  const certPath = onHost(dir, want.file.cert);
  const current = await ctx.host.exec(`cat ${shq(certPath)} 2>/dev/null && test -s ${shq(onHost(dir, want.file.key))}`);
  const facts = current.code === 0 ? inspectCert(current.stdout, ctx.ca.publicKeyPem) : null;
  const now = new Date();
  if (facts && facts.signedByCa && !needsRenewal(facts.notAfter, now) && want.names.every((n) => facts.names.includes(n))) return false;
  const { certPem, keyPem } = await issueServerCert(ctx.ca, want.subject, want.names, now, want.usages);
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  // The key first: a certificate never sits next to a key that is not its own for longer than a rename.
  await writeDataFile(ctx.host, `${dir}/tls`, base(want.file.key), keyPem, '600');
  await writeDataFile(ctx.host, `${dir}/tls`, base(want.file.cert), certPem, '644');
  return true;
}
