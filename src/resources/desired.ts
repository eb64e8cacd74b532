import { lookupPlan, postgresSettings } from '../config/plans.js';
import type { AddonConfig, Config, HostConfig } from '../config/types.js';
import { UserError } from '../util/errors.js';
import { registerSecret } from '../util/redact.js';
import type { DesiredAddon, DesiredBackups, DesiredRole } from './model.js';
import { HOST_SCRIPT } from '../backups/host-script.js';
import { hostProgram } from '../backups/host-program.js';
import { backupConfDir, backupsEnabled, cronPath, renderBackupFiles } from '../backups/settings.js';
import { sha256Hex } from '../util/canonical.js';
import { renderHba } from './access/hba.js';

// Turns the validated config into the desired state the diff compares against. Passwords are looked
// up here (env now, keystore through `heldPassword`) so that diff stays pure.

export const CONTAINER_DATA_DIR = '/var/lib/dbform';
export const PGDATA = `${CONTAINER_DATA_DIR}/pgdata`;

export function containerName(addon: string): string {
  return `dbform-${addon}`;
}

export function superuserKey(addon: string): string {
  return `addon/${addon}/postgres`;
}

export function userPasswordKey(addon: string, user: string): string {
  return `addon/${addon}/user/${user}`;
}

/** Settings dbform always sets; the plan's memory-derived ones are added to these. */
function fixedSettings(port: number): Record<string, string> {
  return {
    port: String(port),
    listen_addresses: '*',
    unix_socket_directories: '/tmp',
    password_encryption: 'scram-sha-256',
    // TLS is on for every instance; server.crt/server.key (PostgreSQL's defaults) are written by dbform.
    ssl: 'on',
    ssl_min_protocol_version: 'TLSv1.2',
  };
}

/** What clients use to reach add-ons on a host: the server certificate covers these names. */
export function tlsNames(host: HostConfig): string[] {
  if (host.transport === 'local') return ['127.0.0.1', 'localhost'];
  return [...new Set([host.address, host.name])];
}

export interface DesiredContext {
  /** Public key of the fleet CA (PEM). */
  caPublicKeyPem: string;
  now: Date;
  heldPassword: (key: string) => string | undefined;
  /** age recipient (public key) of each add-on's backups. */
  backupRecipient: (addon: string) => string;
}

function desiredBackups(config: Config, addon: AddonConfig, host: HostConfig, recipient: string): DesiredBackups {
  const base = { cronPath: cronPath(addon.name), confDir: backupConfDir(host.dataDir, addon.name) };
  if (!backupsEnabled(addon)) return { ...base, enabled: false, files: {}, summary: null };
  const rendered = renderBackupFiles(config, addon, host, recipient, HOST_SCRIPT, hostProgram());
  const files = Object.fromEntries(
    Object.entries(rendered.files).map(([path, f]) => [path, { ...f, sha256: sha256Hex(f.content) }]),
  );
  return { ...base, enabled: true, files, summary: rendered.summary };
}

export function desiredAddon(config: Config, addon: AddonConfig, ctx: DesiredContext): DesiredAddon {
  const { heldPassword } = ctx;
  const plan = lookupPlan(addon.plan);
  if (!plan) throw new UserError(`add-on ${addon.name}: unknown plan ${addon.plan}`);
  const host = config.hosts.find((h) => h.name === addon.host) as HostConfig;
  const owner: DesiredRole = {
    name: addon.name,
    access: 'owner',
    passwordSource: { source: 'keystore', key: userPasswordKey(addon.name, addon.name) },
    password: heldPassword(userPasswordKey(addon.name, addon.name)),
  };
  const users: DesiredRole[] = addon.users.map((u) => {
    if (u.passwordEnv) {
      const value = process.env[u.passwordEnv];
      if (value === undefined || value === '') {
        throw new UserError(
          `${u.pos.file}:${u.pos.line}:${u.pos.col}: add-on ${addon.name}, user ${JSON.stringify(u.name)}: environment variable ${u.passwordEnv} (passwordEnv) is not set`,
        );
      }
      registerSecret(value);
      return { name: u.name, access: u.access, passwordSource: { source: 'env', name: u.passwordEnv }, password: value };
    }
    const key = userPasswordKey(addon.name, u.name);
    return { name: u.name, access: u.access, passwordSource: { source: 'keystore', key }, password: heldPassword(key) };
  });
  return {
    name: addon.name,
    host: addon.host,
    plan: addon.plan,
    database: addon.name,
    superuserKey: superuserKey(addon.name),
    roles: [owner, ...users],
    tls: { names: tlsNames(host), caPublicKeyPem: ctx.caPublicKeyPem, force: addon.tls.force },
    hba: renderHba({ force: addon.tls.force, allowedIps: addon.allowedIps }),
    allowedIps: addon.allowedIps,
    extensions: [...addon.extensions].sort(),
    now: ctx.now.toISOString(),
    backups: desiredBackups(config, addon, host, ctx.backupRecipient(addon.name)),
    container: {
      name: containerName(addon.name),
      image: config.defaults.image,
      memoryMb: plan.memoryMb,
      port: addon.port,
      settings: { ...fixedSettings(addon.port), ...postgresSettings(plan.memoryMb) },
      dataDir: `${host.dataDir}/${addon.name}`,
    },
  };
}
