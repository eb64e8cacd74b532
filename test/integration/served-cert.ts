import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { type FleetHost, dockerOn } from './fleet-harness.js';

// Certificates as servers on the fleet really serve them (openssl s_client, from this machine), and files
// replaced inside a container as an operator would (same owner and mode): for the renewal tests.

/** The certificate a TLS server serves (`starttls`: e.g. "postgres"), or null when none was shown. */
export function servedCert(address: string, port: number, starttls?: string): X509Certificate | null {
  const args = ['s_client', '-connect', `${address}:${port}`, ...(starttls ? ['-starttls', starttls] : [])];
  const r = spawnSync('openssl', args, { input: '', encoding: 'utf8', timeout: 10_000 });
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.stdout)?.[0];
  return pem ? new X509Certificate(pem) : null;
}

/** Days from now until the served certificate expires (NaN when none was served). */
export function servedCertDaysLeft(address: string, port: number, starttls?: string): number {
  const cert = servedCert(address, port, starttls);
  return cert ? (new Date(cert.validTo).getTime() - Date.now()) / 86_400_000 : NaN;
}

/** Replaces a file in a running container, keeping its owner and mode (written beside it, then renamed). */
export function replaceInContainer(host: FleetHost, container: string, path: string, content: string): void {
  const script = 'f=$1; cat > "$f.new" && chown --reference="$f" "$f.new" && chmod --reference="$f" "$f.new" && mv "$f.new" "$f"';
  dockerOn(host, ['exec', '-i', '-u', 'root', container, 'sh', '-c', script, 'sh', path], content);
}
