// Checks the JSON Schema cannot express: references between sections, port clashes, names PostgreSQL would
// refuse or silently change, hours, zones and CIDRs. It reads the raw data defensively (the schema may have
// failed too), so that one run reports every problem; a value of the wrong type is the schema's to report.

import { ALLOWED_EXTENSIONS } from './extensions.js';
import { isIP } from 'node:net';
import { isKnownZone } from '../util/time-zone.js';
import { closest, displayPath, show } from './messages.js';
import { PLAN_NAMES, lookupPlan } from './tiers.js';
import { parseWindow } from '../maintenance/window.js';
import { parseDiskSize } from './disk-size.js';
import { checkHighAvailability, haPorts } from './ha-check.js';
import { checkReadReplicas, replicaPorts } from './replica-check.js';
import type { Issue, PathSeg } from './yaml-source.js';

/** Used when the file declares no host at all: this machine, no SSH. */
export const EMBEDDED_HOST_NAME = 'local';
/** Used when the file declares no storage at all: a directory on each host. */
export const EMBEDDED_STORAGE_NAME = 'local';

const ADDON_NAME = /^[a-z][a-z0-9-]{1,40}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOST_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,2}$/;
/** Databases every PostgreSQL cluster already has: an add-on's database cannot take their name. */
const RESERVED_DATABASES = new Set(['postgres', 'template0', 'template1']);
/** Role names PostgreSQL refuses outright ("role name ... is reserved"). */
const RESERVED_ROLES = new Set(['public', 'none']);
/** NAMEDATALEN - 1: longer identifiers are truncated by PostgreSQL, so two names could become one role. */
const MAX_IDENTIFIER_BYTES = 63;

type Rec = Record<string, unknown>;

function rec(v: unknown): Rec | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function semanticIssues(data: unknown): Issue[] {
  const root = rec(data);
  if (!root) return [];
  const issues: Issue[] = [];
  const hostNames = checkHosts(rec(root.hosts), issues);
  const storageNames = checkStorage(rec(root.storage), issues);
  checkDefaults(rec(root.defaults), storageNames, issues);
  const withMembers = checkHighAvailability(root, hostNames, issues);
  checkAddons(rec(root.addons), hostNames, withMembers, issues);
  checkImageVersions(str(rec(root.defaults)?.image), rec(root.addons), issues);
  return issues;
}

/** An image tagged with a major version (dbform-postgresql:15) cannot run another version's data: such an
 *  add-on needs `{version}` in defaults.image (config/image.ts). */
function checkImageVersions(image: string | undefined, addons: Rec | undefined, issues: Issue[]): void {
  if (image === undefined || image.includes('{version}')) return;
  const tagged = /:(\d+)$/.exec(image)?.[1];
  if (tagged === undefined) return;
  for (const name of Object.keys(addons ?? {})) {
    const version = str(rec(addons?.[name])?.version) ?? '15';
    if (version === tagged) continue;
    issues.push({
      path: ['addons', name, 'version'], on: rec(addons?.[name])?.version === undefined ? 'key' : 'value',
      message: `add-on "${name}": version "${version}" cannot run in defaults.image ${image} (PostgreSQL ${tagged}); write the image as ${image.replace(/:\d+$/, ':{version}')}`,
    });
  }
}

function checkHosts(hosts: Rec | undefined, issues: Issue[]): string[] {
  const names = Object.keys(hosts ?? {});
  for (const name of names) {
    const host = rec(hosts?.[name]);
    if (!host) continue;
    const path = ['hosts', name];
    checkAbsolute(host.dataDir, [...path, 'dataDir'], issues);
    // A misspelt transport is the schema's to report; SSH checks would only add noise.
    if (host.transport !== undefined && host.transport !== 'ssh') continue;
    const hasFile = host.identityFile !== undefined;
    const hasEnv = host.identityEnv !== undefined;
    if (hasFile === hasEnv) {
      issues.push({
        path,
        on: 'key',
        message: hasFile
          ? `host "${name}": set identityFile or identityEnv, not both`
          : `host "${name}": set identityFile (a key file) or identityEnv (an environment variable holding the key) to log in over SSH`,
      });
    }
    checkEnvName(host.identityEnv, [...path, 'identityEnv'], issues);
    const hostKey = str(host.hostKey);
    if (hostKey !== undefined && !HOST_KEY.test(hostKey.trim())) {
      issues.push({
        path: [...path, 'hostKey'],
        on: 'value',
        message: `host "${name}": hostKey must be "ALGORITHM BASE64" as printed by ssh-keyscan (without the host name), e.g. "ssh-ed25519 AAAAC3Nza..."`,
      });
    }
  }
  return names.length > 0 ? names : [EMBEDDED_HOST_NAME];
}

function checkStorage(storage: Rec | undefined, issues: Issue[]): string[] {
  const names = Object.keys(storage ?? {});
  for (const name of names) {
    const s = rec(storage?.[name]);
    if (!s) continue;
    const path = ['storage', name];
    if (s.type === 'local') {
      checkAbsolute(s.path, [...path, 'path'], issues);
      continue;
    }
    checkEnvName(s.accessKeyIdEnv, [...path, 'accessKeyIdEnv'], issues);
    checkEnvName(s.secretAccessKeyEnv, [...path, 'secretAccessKeyEnv'], issues);
    const endpoint = str(s.endpoint);
    if (endpoint !== undefined && !isHttpUrl(endpoint)) {
      issues.push({
        path: [...path, 'endpoint'],
        on: 'value',
        message: `storage "${name}": endpoint must be an http(s) URL such as https://s3.example:443, got ${show(endpoint)}`,
      });
    }
  }
  return names.length > 0 ? names : [EMBEDDED_STORAGE_NAME];
}

function checkDefaults(defaults: Rec | undefined, storageNames: string[], issues: Issue[]): void {
  const timezone = str(defaults?.timezone);
  if (timezone !== undefined && !isKnownZone(timezone)) {
    issues.push({
      path: ['defaults', 'timezone'],
      on: 'value',
      message: `defaults.timezone: ${show(timezone)} is not an IANA time zone; use a name such as Europe/Paris, America/New_York or UTC`,
    });
  }
  checkWindow(rec(defaults?.maintenance), ['defaults', 'maintenance'], issues);
  const storage = str(defaults?.storage);
  if (storage !== undefined && !storageNames.includes(storage)) {
    issues.push({ path: ['defaults', 'storage'], on: 'value', message: unknownRef('storage', storage, storageNames) });
  }
  if (storage === undefined && storageNames.length > 1) {
    issues.push({
      path: ['storage'],
      on: 'key',
      message: `several storages are declared (${storageNames.join(', ')}): set defaults.storage to the one that receives backups`,
    });
  }
}

function checkAddons(addons: Rec | undefined, hostNames: string[], withMembers: Set<string>, issues: Issue[]): void {
  const portOwners = new Map<string, string>();
  for (const name of Object.keys(addons ?? {})) {
    const path: PathSeg[] = ['addons', name];
    const nameProblem = addonNameProblem(name);
    if (nameProblem) issues.push({ path, on: 'key', message: `add-on name ${show(name)} ${nameProblem}` });
    const addon = rec(addons?.[name]);
    if (!addon) continue;

    const plan = str(addon.plan);
    const spec = plan === undefined ? undefined : lookupPlan(plan);
    if (plan !== undefined && !spec) issues.push({ path: [...path, 'plan'], on: 'value', message: unknownPlan(plan) });

    // A highly available add-on's members are checked in ha-check.ts.
    const members = withMembers.has(name) ? (addon.hosts as string[]) : undefined;
    const host = members ? undefined : (str(addon.host) ?? (hostNames.length === 1 ? hostNames[0] : undefined));
    if (!members && addon.host === undefined && host === undefined) {
      issues.push({ path, on: 'key', message: `add-on "${name}": several hosts are declared (${hostNames.join(', ')}); set host to one of them` });
    } else if (host !== undefined && !hostNames.includes(host)) {
      issues.push({ path: [...path, 'host'], on: 'value', message: unknownRef('host', host, hostNames) });
    }

    if (typeof addon.port === 'number') {
      // A highly available add-on also takes the two ports after its own on each member, three with PITR (ha-check.ts).
      const pitr = (rec(addon.backups)?.pitr ?? spec?.pitr != null) === true;
      const { backupServer, ...always } = haPorts(addon.port);
      const ports = members ? [...Object.values(always), ...(pitr ? [backupServer] : [])] : [addon.port];
      const slots = (members ?? (host !== undefined ? [host] : [])).flatMap((h) => ports.map((p) => ({ h, p })));
      for (const { h, p } of slots) {
        const owner = portOwners.get(`${h}:${p}`);
        if (owner && owner !== name) {
          issues.push({ path: [...path, 'port'], on: 'value', message: `port ${p} on host "${h}" is already used by ${owner.startsWith('the read') ? owner : `add-on "${owner}"`}; each add-on needs its own port on a host${members ? ' (a highly available add-on takes its port and the next two, three with point-in-time recovery)' : ''}` });
          break;
        }
        portOwners.set(`${h}:${p}`, name);
      }
    }
    // A read replica listens on the add-on's port on its own host: the same rule as an add-on's port.
    for (const r of replicaPorts(addon, name).filter((x) => x.host !== host && !members?.includes(x.host))) {
      const owner = portOwners.get(`${r.host}:${r.port}`);
      if (owner && owner !== r.owner) issues.push({ path: [...path, 'readReplicas'], on: 'key', message: `port ${r.port} on host "${r.host}" (${r.owner}) is already used by ${owner.startsWith('the read') ? owner : `add-on "${owner}"`}; each add-on and read replica needs its own port on a host` });
      else portOwners.set(`${r.host}:${r.port}`, r.owner);
    }
    checkReadReplicas(name, addon, host, members, hostNames, addons ?? {}, path, issues);

    checkAllowedIps(addon.allowedIps, [...path, 'allowedIps'], issues);
    checkExtensions(addon.extensions, [...path, 'extensions'], issues);
    checkBackups(rec(addon.backups), spec?.name, spec?.backups ?? true, spec?.pitr !== null, [...path, 'backups'], issues);
    checkUsers(name, rec(addon.users), [...path, 'users'], issues);
    checkWindow(rec(addon.maintenance), [...path, 'maintenance'], issues);
    checkDisk(addon.disk, [...path, 'disk'], issues);
  }
}

function checkDisk(disk: unknown, path: PathSeg[], issues: Issue[]): void {
  if (typeof disk !== 'string') return;
  const parsed = parseDiskSize(disk);
  if (typeof parsed === 'string') issues.push({ path, on: 'value', message: `disk ${show(disk)} ${parsed}` });
}

function checkWindow(maintenance: Rec | undefined, path: PathSeg[], issues: Issue[]): void {
  const window = str(maintenance?.window);
  if (window === undefined) return;
  const parsed = parseWindow(window);
  if (typeof parsed === 'string') issues.push({ path: [...path, 'window'], on: 'value', message: `maintenance.window ${show(window)} ${parsed}` });
}

/** Why `name` cannot name an add-on (it names its container, database and owner), or undefined. */
export function addonNameProblem(name: string): string | undefined {
  const rule = 'lowercase letters, digits and \'-\', starting with a letter, 2 to 41 characters';
  if (ADDON_NAME.test(name)) {
    return RESERVED_DATABASES.has(name) ? `is reserved: PostgreSQL already has a database named "${name}"` : undefined;
  }
  if (name.length > 41) return `is too long (${name.length} characters, at most 41): use ${rule}`;
  if (name.length < 2) return `is too short: use ${rule}`;
  if (/^[^a-zA-Z]/.test(name)) return `must start with a letter: use ${rule}`;
  if (/[A-Z]/.test(name)) return `must be lowercase (it names a container and a database): use ${rule}`;
  return `contains characters other than lowercase letters, digits and '-': use ${rule}`;
}

function unknownPlan(plan: string): string {
  const hint = closest(plan, PLAN_NAMES);
  if (hint) return `unknown plan ${show(plan)}; did you mean "${hint}"?`;
  return `unknown plan ${show(plan)}; plans are postgresql-sandbox, postgresql-starter-{256,512,1024,2048,4096,8192} and postgresql-business-{512,1024,2048,4096,8192}`;
}

function unknownRef(kind: 'host' | 'storage', name: string, declared: string[]): string {
  const hint = closest(name, declared);
  const section = kind === 'host' ? 'hosts' : 'storage';
  return `${kind} ${show(name)} is not declared under ${section}${hint ? `; did you mean "${hint}"?` : ''} (declared: ${declared.join(', ')})`;
}

function checkExtensions(value: unknown, path: PathSeg[], issues: Issue[]): void {
  if (!Array.isArray(value)) return;
  value.forEach((entry, i) => {
    if (typeof entry !== 'string' || ALLOWED_EXTENSIONS.includes(entry)) return;
    const hint = closest(entry, ALLOWED_EXTENSIONS);
    issues.push({
      path: [...path, i],
      on: 'value',
      message: `extension ${show(entry)} is not allowed${hint ? `; did you mean "${hint}"?` : ''} (allowed: ${ALLOWED_EXTENSIONS.join(', ')})`,
    });
  });
}

function checkAllowedIps(value: unknown, path: PathSeg[], issues: Issue[]): void {
  if (!Array.isArray(value)) return;
  value.forEach((entry, i) => {
    if (typeof entry !== 'string') return;
    const problem = cidrProblem(entry);
    if (problem) issues.push({ path: [...path, i], on: 'value', message: `allowedIps: ${show(entry)} ${problem}` });
  });
}

/** Why `text` is not an IPv4/IPv6 address or CIDR range, or undefined. A bare address means a single host. */
export function cidrProblem(text: string): string | undefined {
  const parts = text.split('/');
  if (parts.length > 2) return 'is not a CIDR range such as 10.0.0.0/8 or 2001:db8::/32';
  const [address = '', prefix] = parts;
  // node accepts IPv6 zone ids (fe80::1%eth0); pg_hba does not.
  const family = address.includes('%') ? 0 : isIP(address);
  if (family === 0) return 'is not an IP address or CIDR range such as 10.0.0.0/8 or 2001:db8::/32';
  if (prefix === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
    return `has an invalid prefix length "/${prefix}": an IPv${family} prefix is 0 to ${max}`;
  }
  return undefined;
}

/** A parsed `backups.scheduleAt`; `zone` is absent when the add-on's default time zone applies. */
export interface ScheduleAt {
  hour: number;
  minute: number;
  zone?: string;
}

/** Parses "03:00", "4:00 UTC" or "23:30 Europe/Paris"; a string is the reason it is not an hour of the day. */
export function parseScheduleAt(text: string): ScheduleAt | string {
  const usage = 'must be an hour of the day as "HH:MM" (00:00 to 23:59), optionally followed by a time zone, e.g. "03:00" or "4:00 UTC"';
  const m = /^(\d{1,2}):(\d{2})(?: (\S+))?$/.exec(text.trim());
  if (!m) return usage;
  const hour = Number(m[1]);
  const minute = Number(m[2]);
  if (hour > 23) return `has hour ${hour}; ${usage}`;
  if (minute > 59) return `has minute ${minute}; ${usage}`;
  const zone = m[3];
  if (zone === undefined) return { hour, minute };
  if (!isKnownZone(zone)) return `names an unknown time zone ${show(zone)}; use UTC or an IANA name such as Europe/Paris`;
  return { hour, minute, zone };
}

function checkBackups(
  backups: Rec | undefined,
  plan: string | undefined,
  planHasBackups: boolean,
  planHasPitr: boolean,
  path: PathSeg[],
  issues: Issue[],
): void {
  if (!backups) return;
  const scheduleAt = str(backups.scheduleAt);
  if (scheduleAt !== undefined) {
    const parsed = parseScheduleAt(scheduleAt);
    if (typeof parsed === 'string') {
      issues.push({ path: [...path, 'scheduleAt'], on: 'value', message: `backups.scheduleAt ${show(scheduleAt)} ${parsed}` });
    } else if (!planHasBackups) {
      issues.push({ path: [...path, 'scheduleAt'], on: 'value', message: `plan ${plan ?? ''} takes no backups: remove backups.scheduleAt or choose a starter or business plan` });
    }
  }
  if (backups.pitr === true && !planHasPitr) {
    issues.push({ path: [...path, 'pitr'], on: 'value', message: `plan ${plan ?? ''} has no point-in-time recovery: set pitr: false or choose a starter or business plan` });
  }
}

function checkUsers(addon: string, users: Rec | undefined, path: PathSeg[], issues: Issue[]): void {
  for (const name of Object.keys(users ?? {})) {
    const problem = userNameProblem(addon, name);
    if (problem) issues.push({ path: [...path, name], on: 'key', message: `add-on "${addon}": user ${show(name)} ${problem}` });
    checkEnvName(rec(users?.[name])?.passwordEnv, [...path, name, 'passwordEnv'], issues);
  }
}

/**
 * Why PostgreSQL could not hold `name` as a managed user of `addon`, or undefined. Anything else is legal:
 * quotes, spaces and ';' are quoted as identifiers when SQL is written, never rejected here.
 */
export function userNameProblem(addon: string, name: string): string | undefined {
  if (name === '') return 'is empty: a PostgreSQL role name needs at least one character';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) return `is ${bytes} bytes long in UTF-8; PostgreSQL role names hold at most ${MAX_IDENTIFIER_BYTES} bytes`;
  if (name.includes('\0')) return 'contains a NUL character, which PostgreSQL names cannot hold';
  if (name === addon) return 'is reserved: it is the add-on\'s owner, which dbform creates and manages itself';
  if (name === 'postgres') return 'is reserved: it is the superuser of the instance';
  if (name.startsWith('pg_')) return 'is reserved: names starting with pg_ belong to PostgreSQL\'s built-in roles';
  if (RESERVED_ROLES.has(name)) return `is reserved by PostgreSQL ("${name}" cannot name a role)`;
  return undefined;
}

function checkEnvName(value: unknown, path: PathSeg[], issues: Issue[]): void {
  if (typeof value !== 'string' || ENV_NAME.test(value)) return;
  issues.push({ path, on: 'value', message: `${displayPath(path)}: ${show(value)} is not an environment variable name (letters, digits and _, not starting with a digit)` });
}

function checkAbsolute(value: unknown, path: PathSeg[], issues: Issue[]): void {
  if (typeof value !== 'string' || value.startsWith('/')) return;
  issues.push({ path, on: 'value', message: `${displayPath(path)}: ${show(value)} must be an absolute path (starting with /), as it is a directory on the host` });
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
