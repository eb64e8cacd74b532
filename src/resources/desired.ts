import { lookupPlan, postgresSettings } from '../config/tiers.js';
import { addonImage } from '../config/image.js';
import type { AddonConfig, Config, HostConfig } from '../config/types.js';
import { ConfigError } from '../config/load.js';
import { UserError } from '../util/errors.js';
import { hashedFiles } from '../util/env-template.js';
import type { DesiredContext, Placed } from './kind.js';
import type { DesiredAddon, DesiredBackups, DesiredRole } from './model.js';
import { HOST_SCRIPT } from './backups/host-script.js';
import { hostProgram } from './backups/host-program.js';
import { logSettings } from './container/log-settings.js';
import { type MemberBackupSettings, backupConfDir, backupsEnabled, cronPath, renderBackupFiles, storageOf } from './backups/settings.js';
import { renderHba } from './hba/hba.js';
import { desiredPitr, pitrContainerParts } from './pitr/desired.js';
import { desiredDiskGuard } from './diskguard/settings.js';
import { replicaDataDir, slotName, type ReplicaEndpoint } from './replica/model.js';

// Turns the validated config into the desired state of each add-on, which the add-on kinds compare
// against. Pure: it reads the config and the environment, never a host, so a missing environment variable
// is reported as `databases.yaml:LINE:COL` before anything is contacted. It holds no secret: passwords are
// named by where they come from, and credentials in rendered files are placeholders (only their hashes
// are computed with the values filled in).

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

/** The address other hosts (and this machine's clients) reach `host` at: loopback for this machine itself. */
export function hostAddress(host: HostConfig): string {
  return host.transport === 'ssh' ? host.address : '127.0.0.1';
}

/** What clients use to reach add-ons on a host: the server certificate covers these names. */
export function tlsNames(host: HostConfig): string[] {
  if (host.transport === 'local') return ['127.0.0.1', 'localhost'];
  return [...new Set([host.address, host.name])];
}

/** The add-on's scheduled backups on `host`: its only host, or one member of a highly available add-on. */
export function desiredBackups(config: Config, addon: AddonConfig, host: HostConfig, recipient: () => string, member?: MemberBackupSettings): DesiredBackups {
  const base = { cronPath: cronPath(addon.name), confDir: backupConfDir(host.dataDir, addon.name) };
  if (!backupsEnabled(addon)) return { ...base, enabled: false, files: {}, summary: null };
  const rendered = renderBackupFiles(config, addon, host, recipient(), HOST_SCRIPT, hostProgram(), member);
  const storage = storageOf(config, addon);
  const where = { pos: storage.pos, what: `storage ${storage.name} (backups of add-on ${addon.name})` };
  return { ...base, enabled: true, files: hashedFiles(rendered.files, where), summary: rendered.summary };
}

function desiredRoles(addon: AddonConfig): DesiredRole[] {
  const owner: DesiredRole = { name: addon.name, access: 'owner', passwordSource: { source: 'keystore', key: userPasswordKey(addon.name, addon.name) } };
  const users = addon.users.map((u): DesiredRole => {
    if (!u.passwordEnv) return { name: u.name, access: u.access, passwordSource: { source: 'keystore', key: userPasswordKey(addon.name, u.name) } };
    if (!process.env[u.passwordEnv]) {
      throw new ConfigError([{ ...u.pos, message: `add-on ${addon.name}, user ${JSON.stringify(u.name)}: environment variable ${u.passwordEnv} (passwordEnv) is not set` }]);
    }
    return { name: u.name, access: u.access, passwordSource: { source: 'env', name: u.passwordEnv } };
  });
  return [owner, ...users];
}

/** The add-on's read replicas as its primary serves them. Replicas reach the primary by address: a
 *  `transport: local` host has none to give. */
function replicaEndpoints(config: Config, addon: AddonConfig): ReplicaEndpoint[] {
  return (addon.readReplicas ?? []).map((name) => {
    const host = config.hosts.find((h) => h.name === name) as HostConfig;
    const primary = config.hosts.find((h) => h.name === addon.host) as HostConfig;
    if (host.transport === 'local' || primary.transport === 'local') {
      throw new ConfigError([{ ...addon.pos, message: `add-on ${addon.name}: a read replica and its primary reach each other by address: "${host.transport === 'local' ? host.name : primary.name}" is transport: local; use SSH hosts` }]);
    }
    return { host: name, address: host.address, slot: slotName(name) };
  });
}

export function desiredAddon(config: Config, addon: AddonConfig, ctx: DesiredContext): DesiredAddon {
  const plan = lookupPlan(addon.plan);
  if (!plan) throw new UserError(`add-on ${addon.name}: unknown plan ${addon.plan}`);
  const host = config.hosts.find((h) => h.name === addon.host) as HostConfig;
  // Backups first: a missing credential is reported as the daily backups' (they need it first).
  // The recipient is derived only for add-ons with backups: an X25519 key derivation each (0.4 ms).
  const backups = desiredBackups(config, addon, host, () => ctx.backupRecipient(addon.name));
  const pitr = desiredPitr(config, addon, host);
  const archiving = pitrContainerParts(pitr);
  const readReplicas = replicaEndpoints(config, addon);
  return {
    name: addon.name,
    host: addon.host,
    plan: addon.plan,
    database: addon.name,
    superuserKey: superuserKey(addon.name),
    roles: desiredRoles(addon),
    tls: { names: tlsNames(host), caPublicKeyPem: ctx.caPublicKeyPem, force: addon.tls.force },
    hba: renderHba({ force: addon.tls.force, allowedIps: addon.allowedIps, replicationFrom: readReplicas.map((r) => r.address) }),
    allowedIps: addon.allowedIps,
    extensions: [...addon.extensions].sort(),
    now: ctx.now.toISOString(),
    backups,
    pitr,
    diskGuard: desiredDiskGuard(addon, host),
    ...(addon.hosts.length > 1 && { ha: { members: [...addon.hosts] } }),
    ...(readReplicas.length && { readReplicas }),
    ...(addon.promotedFrom !== undefined && { promotedFrom: { source: addon.promotedFrom, dataDir: replicaDataDir(host.dataDir, addon.promotedFrom) } }),
    container: {
      name: containerName(addon.name),
      image: addonImage(config, addon),
      version: addon.version,
      memoryMb: plan.memoryMb,
      port: addon.port,
      settings: { ...fixedSettings(addon.port), ...postgresSettings(plan.memoryMb), ...logSettings(addon.logs.slowQueryMs), ...archiving.settings },
      dataDir: `${host.dataDir}/${addon.name}`,
      mounts: archiving.mounts,
    },
  };
}

/** The placements of add-ons that run as one instance: the kinds that a highly available add-on's Patroni
 *  members replace (the container, pg_hba and TLS files that Patroni owns) or that it does not have yet
 *  (PITR). Its daily backups are placed on each member (backups/placement.ts). */
export function singleInstancePlacements(config: Config, ctx: DesiredContext): Placed<DesiredAddon>[] {
  return addonPlacements(config, ctx).filter((p) => !p.desired.ha);
}

const placements = new WeakMap<Config, WeakMap<DesiredContext, Placed<DesiredAddon>[]>>();

/**
 * The desired state of every add-on, placed on its host: what every add-on kind's `desired` returns (they
 * share it; each reads its part). Built once per config and context. A highly available add-on has one
 * placement here too, on its preferred primary's host: its in-instance kinds (users, database, grants,
 * extensions) reach whichever member is the primary through the gateway there (gather/host-reader.ts).
 */
export function addonPlacements(config: Config, ctx: DesiredContext): Placed<DesiredAddon>[] {
  let byCtx = placements.get(config);
  if (!byCtx) placements.set(config, (byCtx = new WeakMap()));
  let placed = byCtx.get(ctx);
  if (!placed) {
    placed = config.addons.map((a) => ({ key: a.name, host: a.host, addon: a.name, desired: desiredAddon(config, a, ctx) }));
    byCtx.set(ctx, placed);
  }
  return placed;
}
