import type { Config } from '../config/types.js';

// Settings the file format accepts (the SPEC defines them) but this version does not enforce yet.
// Saying so in every plan is the honest alternative to silently ignoring them.
export function notYetApplied(config: Config): string[] {
  const out: string[] = [];
  for (const a of config.addons) {
    const unapplied: string[] = [];
    if (a.encryptionAtRest) unapplied.push('encryptionAtRest');
    if (unapplied.length) out.push(`add-on ${a.name}: ${unapplied.join(', ')} ${unapplied.length === 1 ? 'is' : 'are'} accepted but not applied by this version of dbform yet`);
    if (a.plan.startsWith('postgresql-business-') && a.hosts.length === 1) {
      out.push(`add-on ${a.name}: business plans run as a single instance in this version (no replica, no gateway yet)`);
    } else if (a.hosts.length > 1) {
      out.push(`add-on ${a.name}: highly available on ${a.hosts.join(' and ')}; not yet in this version: backups and PITR (none is taken), TLS for Patroni's API and etcd, certificate renewal, read replicas`);
    }
  }
  return out;
}
