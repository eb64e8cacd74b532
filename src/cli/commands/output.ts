import { UserError } from '../../util/errors.js';
import { userPasswordKey } from '../../resources/desired.js';
import { err } from '../terminal.js';
import { shq } from '../../util/shell.js';
import { hostPgdata } from '../../resources/data-files.js';
import { openSession } from '../session.js';

export interface OutputOptions {
  file: string;
  addon: string;
  user?: string;
  all: boolean;
  /** Print the fleet CA certificate (PEM) instead, for clients using sslmode=verify-full. */
  ca: boolean;
  /** Print the URLs of the add-on's read replicas instead (all, or the one on replicaHost). */
  readReplica?: boolean;
  replicaHost?: string;
}

/** The add-on's read replicas the URLs are for: every one, or the one named. */
function replicaHosts(addon: { name: string; readReplicas?: string[] }, only: string | undefined): string[] {
  const replicas = addon.readReplicas ?? [];
  if (!replicas.length) throw new UserError(`add-on ${addon.name} has no read replica (readReplicas)`);
  if (only === undefined) return replicas;
  if (!replicas.includes(only)) throw new UserError(`add-on ${addon.name} has no read replica on ${only} (its read replicas: ${replicas.join(', ')})`);
  return [only];
}

const suffix = (host: string) => `_READ_REPLICA_${host.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;

/** `hosts` has one address, or a highly available add-on's gateways: a multi-host URL (libpq tries each in
 *  turn; every gateway routes to the current primary). */
function url(user: string, password: string, hosts: string[], port: number, database: string, forced: boolean): string {
  const base = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${hosts.map((h) => `${h}:${port}`).join(',')}/${encodeURIComponent(database)}`;
  return forced ? `${base}?sslmode=require` : base;
}

// Prints connection URLs, the way a managed offer shows DATABASE_URL: this is the one command whose
// purpose is to reveal a secret, and it does so only on stdout, only when asked for one add-on.
export async function outputCommand(opts: OutputOptions): Promise<number> {
  const session = await openSession(opts.file, (m) => err(`Warning: ${m}`), undefined, 'read');
  try {
    const addon = session.config.addons.find((a) => a.name === opts.addon);
    if (!addon) throw new UserError(`no add-on named ${opts.addon} in ${opts.file}`);
    const host = session.hosts.get(addon.host)!;
    const keystore = session.keystores.get(addon.host)!;
    if (opts.ca) {
      const hostDataDir = session.config.hosts.find((h) => h.name === addon.host)!.dataDir;
      const pem = await host.exec(`cat ${shq(`${hostPgdata(`${hostDataDir}/${addon.name}`)}/root.crt`)}`);
      process.stdout.write(pem.code === 0 && pem.stdout.includes('BEGIN CERTIFICATE') ? pem.stdout : await session.ca.certPem());
      return 0;
    }
    // A read replica has the same users and passwords as its primary (it is a copy), and refuses writes.
    const targets = opts.readReplica
      ? replicaHosts(addon, opts.replicaHost).map((h) => ({ hosts: [session.hosts.get(h)!.clientAddress], suffix: suffix(h) }))
      : [{ hosts: addon.hosts.map((h) => session.hosts.get(h)!.clientAddress), suffix: '' }];
    const names = opts.all ? [addon.name, ...addon.users.map((u) => u.name)] : [opts.user ?? addon.name];
    for (const { hosts, suffix: end } of targets) {
      for (const name of names) {
        const user = addon.users.find((u) => u.name === name);
        if (!user && name !== addon.name) throw new UserError(`add-on ${addon.name} has no user ${name}`);
        const password = user?.passwordEnv ? process.env[user.passwordEnv] : await keystore.get(userPasswordKey(addon.name, name));
        if (!password) throw new UserError(`add-on ${addon.name}, user ${name}: no password yet; run dbform apply first`);
        const value = url(name, password, hosts, addon.port, addon.name, addon.tls.force);
        const variable = (name === addon.name ? 'DATABASE_URL' : `DATABASE_URL_${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`) + end;
        // Written raw: redaction would hide exactly what the user asked for.
        process.stdout.write(`${variable}=${value}\n`);
      }
    }
    return 0;
  } finally {
    await session.close();
  }
}
