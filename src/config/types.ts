// Typed, validated view of databases.yaml. Everything downstream (diff, apply, renderers) reads these
// types, never the raw YAML, so a position-aware error can only come from the config loader.

export type Access = 'read-only' | 'read-write';

export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export interface LocalHost {
  name: string;
  transport: 'local';
  /** Directory on the host under which each add-on's data directory lives. */
  dataDir: string;
}

export interface SshHost {
  name: string;
  transport: 'ssh';
  address: string;
  user: string;
  port: number;
  /** Pinned host key, "ssh-ed25519 AAAA..." (algorithm + base64 blob). */
  hostKey: string;
  identityFile?: string;
  identityEnv?: string;
  dataDir: string;
}

export type HostConfig = LocalHost | SshHost;

export interface StorageConfig {
  name: string;
  type: 's3' | 'local';
  endpoint?: string;
  region?: string;
  bucket?: string;
  accessKeyIdEnv?: string;
  secretAccessKeyEnv?: string;
  caFile?: string;
  path?: string;
  /** Where it is declared (the embedded default storage: the file itself, line 0). */
  pos: SourcePos;
}

export interface UserConfig {
  name: string;
  access: Access;
  /** Name of the environment variable holding the password; absent = generated and kept in the keystore. */
  passwordEnv?: string;
  pos: SourcePos;
}

export interface AddonConfig {
  name: string;
  plan: string;
  version: string;
  /** Where the add-on runs: its only host, or the preferred primary of a highly available add-on. */
  host: string;
  /** Every host it runs on: [host] for a single instance; a business add-on's `hosts:` (first preferred). */
  hosts: string[];
  /** Hosts that each run an asynchronous read-only replica of a single-instance add-on (README, Read replicas). */
  readReplicas?: string[];
  /** The add-on whose read replica on this add-on's host was promoted to this add-on. */
  promotedFrom?: string;
  port: number;
  tls: { force: boolean };
  encryptionAtRest: boolean;
  /** Version of the LUKS key; raising it rotates the key (README, Encryption at rest). */
  encryptionKeyVersion: number;
  /** Disk quota in MB: `disk:` or the plan's (read-only mode above 95 %; the LUKS volume's size when encrypted). */
  diskMb: number;
  allowedIps: string[];
  backups: { scheduleAt?: string; pitr: boolean };
  extensions: string[];
  users: UserConfig[];
  /** When disruptive changes (RESTART...) may run: its own, or defaults.maintenance; read in defaults.timezone. */
  maintenance: { window?: string };
  /** Slow-query logging: statements running longer than this are logged (log_min_duration_statement). */
  logs: { slowQueryMs: number };
  pos: SourcePos;
}

export interface Config {
  /** Path of the file as the user named it (used in messages). */
  file: string;
  /** SHA-256 of the file's bytes: a saved plan records it to detect a changed config. */
  sha256: string;
  version: 1;
  hosts: HostConfig[];
  storage: StorageConfig[];
  defaults: { timezone: string; image: string; storage?: string; maintenance?: { window: string } };
  /** Where the consensus store (etcd) of highly available add-ons runs; null when none is declared. */
  consensus: { hosts: string[]; pos: SourcePos } | null;
  /** Sorted by name, so everything derived from it is deterministic. */
  addons: AddonConfig[];
}
