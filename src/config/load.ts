// databases.yaml -> typed Config, in three passes that each report with line:col: YAML (syntax, duplicate
// keys, alias bombs), JSON Schema (shape), semantic checks (references, clashes, names). Every problem of a
// pass is reported at once; nothing is contacted and no Config exists unless all passes are clean.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { schemaIssues } from './schema-check.js';
import { lookupPlan } from './tiers.js';
import { MIN_DISK_MB, parseDiskSize } from './disk-size.js';
import { EMBEDDED_HOST_NAME, EMBEDDED_STORAGE_NAME, semanticIssues } from './semantic.js';
import type { AddonConfig, Config, HostConfig, SourcePos, StorageConfig, UserConfig } from './types.js';
import { parseYamlSource, type Issue, type ParsedSource } from './yaml-source.js';

export const DEFAULT_TIMEZONE = 'Europe/Paris';
/** `{version}` is the add-on's major version (config/image.ts). */
export const DEFAULT_IMAGE = 'dbform-postgresql:{version}';
export const DEFAULT_DATA_DIR = '/var/lib/dbform';
export const DEFAULT_LOCAL_BACKUP_DIR = '/var/lib/dbform/backups';
export const DEFAULT_POSTGRES_VERSION = '15';
/** Scaleway's threshold: every statement over 5 s is logged. */
export const DEFAULT_SLOW_QUERY_MS = 5000;

export interface Diagnostic {
  file: string;
  /** 1-based; 0 when the problem is about the file as a whole (e.g. it cannot be read). */
  line: number;
  col: number;
  message: string;
}

export class ConfigError extends Error {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'ConfigError';
    this.diagnostics = diagnostics;
  }
}

/** "databases.yaml:12:5: message" (or "databases.yaml: message" without a position). */
export function formatDiagnostic(d: Diagnostic): string {
  return d.line > 0 ? `${d.file}:${d.line}:${d.col}: ${d.message}` : `${d.file}: ${d.message}`;
}

/** Loads and validates `file` (or `text`, then `file` only names it in messages). Throws ConfigError. */
export function loadConfig(file: string, text?: string): Config {
  let bytes: Buffer;
  try {
    bytes = text === undefined ? readFileSync(file) : Buffer.from(text, 'utf8');
  } catch (e) {
    throw new ConfigError([{ file, line: 0, col: 0, message: `cannot read the file: ${(e as Error).message}` }]);
  }
  const source = parseYamlSource(bytes.toString('utf8'));
  if (source.errors.length > 0) throw new ConfigError(sortDiagnostics(source.errors.map((e) => ({ file, ...e }))));

  const data = source.data;
  if (data === null || data === undefined) {
    throw new ConfigError([{ file, line: 1, col: 1, message: 'the file is empty: it must start with "version: 1"' }]);
  }
  const issues = [...schemaIssues(data), ...semanticIssues(data)];
  if (issues.length > 0) throw new ConfigError(positioned(file, source, issues));

  return buildConfig(file, createHash('sha256').update(bytes).digest('hex'), data as RawFile, source);
}

function positioned(file: string, source: ParsedSource, issues: Issue[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const issue of issues) {
    const d = { file, ...source.locate(issue.path, issue.on), message: issue.message };
    const key = formatDiagnostic(d);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return sortDiagnostics(out);
}

function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.line - b.line || a.col - b.col || a.message.localeCompare(b.message));
}

// The shape the schema guarantees once it passed; optional fields get their defaults in buildConfig.
interface RawFile {
  version: 1;
  hosts?: Record<string, RawHost> | null;
  storage?: Record<string, Omit<StorageConfig, 'name' | 'pos'>> | null;
  defaults?: { timezone?: string; image?: string; storage?: string; maintenance?: { window: string } } | null;
  consensus?: { hosts: string[] };
  addons?: Record<string, RawAddon> | null;
}

interface RawHost {
  transport?: 'ssh' | 'local';
  address: string;
  user?: string;
  port?: number;
  hostKey: string;
  identityFile?: string;
  identityEnv?: string;
  dataDir?: string;
}

interface RawAddon {
  plan: string;
  version?: string;
  host?: string;
  hosts?: string[];
  readReplicas?: string[];
  promotedFrom?: string;
  port: number;
  tls?: { force?: boolean };
  encryptionAtRest?: boolean;
  encryptionKeyVersion?: number;
  disk?: string;
  allowedIps?: string[];
  backups?: { scheduleAt?: string; pitr?: boolean };
  extensions?: string[];
  users?: Record<string, { access: UserConfig['access']; passwordEnv?: string }> | null;
  maintenance?: { window: string };
  logs?: { slowQueryMs?: number };
}

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function buildConfig(file: string, sha256: string, raw: RawFile, source: ParsedSource): Config {
  const hosts = buildHosts(raw.hosts ?? {});
  const pos = (path: Issue['path']) => ({ file, ...source.locate(path, 'key') });
  const storage = buildStorage(raw.storage ?? {}, pos);
  const defaults = raw.defaults ?? {};
  const onlyHost = hosts.length === 1 ? hosts[0]?.name : undefined;
  const onlyStorage = storage.length === 1 ? storage[0]?.name : undefined;

  const addons = Object.entries(raw.addons ?? {}).map(([name, a]): AddonConfig => {
    const users = Object.entries(a.users ?? {}).map(
      ([user, u]): UserConfig => ({
        name: user,
        access: u.access,
        ...(u.passwordEnv !== undefined && { passwordEnv: u.passwordEnv }),
        pos: pos(['addons', name, 'users', user]),
      }),
    );
    // semantic.ts has checked that an add-on without host has exactly one host to go to, and that `hosts`
    // (instead of `host`) lists at least two declared hosts.
    const members = a.hosts ?? [a.host ?? onlyHost ?? EMBEDDED_HOST_NAME];
    return {
      name,
      plan: a.plan,
      version: a.version ?? DEFAULT_POSTGRES_VERSION,
      host: members[0]!,
      hosts: members,
      readReplicas: [...(a.readReplicas ?? [])],
      ...(a.promotedFrom !== undefined && { promotedFrom: a.promotedFrom }),
      port: a.port,
      tls: { force: a.tls?.force ?? false },
      // On by default where the plan is a production one (starter, business), as the seeds promise; sandbox off.
      encryptionAtRest: a.encryptionAtRest ?? (lookupPlan(a.plan)?.tier !== undefined && lookupPlan(a.plan)?.tier !== 'sandbox'),
      encryptionKeyVersion: a.encryptionKeyVersion ?? 1,
      // semantic.ts has checked both: a readable size and a known plan.
      diskMb: a.disk !== undefined ? (parseDiskSize(a.disk) as number) : (lookupPlan(a.plan)?.diskMb ?? MIN_DISK_MB),
      allowedIps: (a.allowedIps ?? []).map(withPrefix),
      backups: {
        ...(a.backups?.scheduleAt !== undefined && { scheduleAt: a.backups.scheduleAt.trim() }),
        // On by default where the plan has point-in-time recovery (starter, business), as the seeds promise.
        pitr: a.backups?.pitr ?? (lookupPlan(a.plan)?.pitr != null),
      },
      extensions: [...(a.extensions ?? [])],
      users: users.sort(byName),
      maintenance: windowOf(a.maintenance ?? defaults.maintenance),
      logs: { slowQueryMs: a.logs?.slowQueryMs ?? DEFAULT_SLOW_QUERY_MS },
      pos: pos(['addons', name]),
    };
  });

  return {
    file,
    sha256,
    version: 1,
    hosts,
    storage,
    defaults: {
      timezone: canonicalZone(defaults.timezone ?? DEFAULT_TIMEZONE),
      image: defaults.image ?? DEFAULT_IMAGE,
      // semantic.ts has checked that without defaults.storage there is exactly one storage.
      ...((defaults.storage ?? onlyStorage) !== undefined && { storage: defaults.storage ?? onlyStorage }),
      ...(defaults.maintenance && { maintenance: { window: defaults.maintenance.window.trim() } }),
    },
    consensus: raw.consensus ? { hosts: [...raw.consensus.hosts], pos: pos(['consensus']) } : null,
    addons: addons.sort(byName),
  };
}

function buildHosts(raw: Record<string, RawHost>): HostConfig[] {
  const entries = Object.entries(raw);
  if (entries.length === 0) return [{ name: EMBEDDED_HOST_NAME, transport: 'local', dataDir: DEFAULT_DATA_DIR }];
  return entries
    .map(([name, h]): HostConfig => {
      const dataDir = h.dataDir ?? DEFAULT_DATA_DIR;
      if (h.transport === 'local') return { name, transport: 'local', dataDir };
      return {
        name,
        transport: 'ssh',
        address: h.address,
        user: h.user ?? 'root',
        port: h.port ?? 22,
        hostKey: h.hostKey.trim(),
        ...(h.identityFile !== undefined && { identityFile: h.identityFile }),
        ...(h.identityEnv !== undefined && { identityEnv: h.identityEnv }),
        dataDir,
      };
    })
    .sort(byName);
}

function buildStorage(raw: Record<string, Omit<StorageConfig, 'name' | 'pos'>>, pos: (path: Issue['path']) => SourcePos): StorageConfig[] {
  const entries = Object.entries(raw);
  if (entries.length === 0) return [{ name: EMBEDDED_STORAGE_NAME, type: 'local', path: DEFAULT_LOCAL_BACKUP_DIR, pos: { file: pos([]).file, line: 0, col: 0 } }];
  return entries.map(([name, s]): StorageConfig => ({ name, ...s, pos: pos(['storage', name]) })).sort(byName);
}

function windowOf(m: { window: string } | undefined): AddonConfig['maintenance'] {
  return m ? { window: m.window.trim() } : {};
}

/** pg_hba wants a mask: a bare address in allowedIps means that one host. */
function withPrefix(entry: string): string {
  if (entry.includes('/')) return entry;
  return entry.includes(':') ? `${entry}/128` : `${entry}/32`;
}

/** "europe/paris" is accepted by Intl; keep the canonical spelling so cron and plans compare equal. */
function canonicalZone(zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
}
