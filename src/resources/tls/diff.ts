import { X509Certificate } from 'node:crypto';
import type { Change } from '../../plan/types.js';
import { caKeyObject, inspectCert, needsRenewal } from './server-cert.js';
import type { DesiredAddon, ObservedCatalog } from '../model.js';

// Pure: the instance's server certificate is signed by the fleet CA, covers the host's names and
// addresses, and has more than 30 days left; root.crt holds the fleet CA. A new instance gets its
// certificate with its container, so there is nothing to compare until it runs.

// Every instance's root.crt is the same fleet CA certificate: it is parsed once per run, not per add-on.
const rootVerdicts = new Map<string, boolean>();

function rootIsFleetCa(rootPem: string | null, caPublicKeyPem: string): boolean {
  if (!rootPem) return false;
  const memo = `${caPublicKeyPem}\n${rootPem}`;
  let verdict = rootVerdicts.get(memo);
  if (verdict === undefined) rootVerdicts.set(memo, (verdict = rootKeyIs(rootPem, caPublicKeyPem)));
  return verdict;
}

function rootKeyIs(rootPem: string, caPublicKeyPem: string): boolean {
  try {
    const key = new X509Certificate(rootPem).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    return key === caKeyObject(caPublicKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  } catch {
    return false;
  }
}

export function diffTls(desired: DesiredAddon, catalog: ObservedCatalog | null): Change[] {
  if (!catalog) return [];
  const facts = catalog.serverCert ? inspectCert(catalog.serverCert, desired.tls.caPublicKeyPem) : null;
  const want = [...desired.tls.names].sort();
  const reasons: string[] = [];
  if (!facts) reasons.push(catalog.serverCert ? 'the server certificate cannot be read' : 'the instance has no server certificate');
  else {
    if (!facts.signedByCa) reasons.push('the server certificate is not issued by the fleet CA');
    if (facts.names.join(',') !== want.join(',')) reasons.push(`it covers ${facts.names.join(', ') || 'no name'}, not ${want.join(', ')}`);
    if (needsRenewal(facts.notAfter, new Date(desired.now))) reasons.push(`it expires on ${facts.notAfter.slice(0, 10)}: renewed 30 days ahead`);
  }
  if (!rootIsFleetCa(catalog.rootCert, desired.tls.caPublicKeyPem)) reasons.push('root.crt is not the fleet CA');
  if (!reasons.length) return [];
  return [
    {
      address: `addon.${desired.name}.tls`,
      kind: 'tls',
      host: desired.host,
      addon: desired.name,
      action: facts ? 'update' : 'create',
      reason: reasons.join('; '),
      before: facts ? { names: facts.names, expires: facts.notAfter.slice(0, 10), issuer: facts.signedByCa ? 'fleet CA' : 'another CA' } : null,
      after: { names: want, expires: 'in 365 days', issuer: 'fleet CA' },
      hazards: [],
      steps: [{ type: 'tls.issue', addon: desired.name, names: desired.tls.names, dataDir: desired.container.dataDir }],
    },
  ];
}
