import type { Access } from '../config/types.js';
import type { ReplicaEndpoint } from './replica/model.js';

// Desired and observed state of one add-on, as plain data: the input of the pure diff.

export const OWNER_ACCESS = 'owner';
export type RoleAccess = Access | typeof OWNER_ACCESS;

export interface DesiredRole {
  name: string;
  access: RoleAccess;
  /** Where the password comes from (plans show this, never the password; gather compares with it). */
  passwordSource: { source: 'env'; name: string } | { source: 'keystore'; key: string };
}

export interface ContainerSpec {
  name: string;
  image: string;
  /** PostgreSQL major version ("15", "17") the add-on's data must be at. */
  version: string;
  memoryMb: number;
  port: number;
  /** PostgreSQL settings passed as `-c key=value` (plan-derived plus dbform's fixed ones). */
  settings: Record<string, string>;
  /** Host directory mounted into the container; PostgreSQL's data lives in its pgdata/ subdirectory. */
  dataDir: string;
  /** Other bind mounts, "HOST:CONTAINER[:ro]", sorted (pgBackRest's settings and repository). */
  mounts: string[];
}

export interface DesiredTls {
  /** Names and addresses the server certificate must cover (the host's client address first). */
  names: string[];
  /** PEM public key of the fleet CA: the server certificate must be signed by it. */
  caPublicKeyPem: string;
  force: boolean;
}

/** A file dbform renders on a host. Its content holds `{{env:NAME}}` where a credential goes, so that it can
 *  travel in a plan step; sha256 is of the content with the credentials filled in (what is on the host). */
export interface RenderedFile {
  content: string;
  mode: string;
  sha256: string;
}

export interface DesiredBackups {
  enabled: boolean;
  files: Record<string, RenderedFile>;
  /** Files to remove when backups are disabled. */
  cronPath: string;
  confDir: string;
  summary: { schedule: string; storage: string } | null;
}

export interface DesiredPitr {
  enabled: boolean;
  /** pgBackRest's stanza: the add-on's name. */
  stanza: string;
  /** Host directory of the add-on's PITR state; its etc/ is the container's /etc/pgbackrest (read-only). */
  stateDir: string;
  /** Files dbform renders (pgbackrest.conf, the storage CA, the weekly cron file), by host path. */
  files: Record<string, RenderedFile>;
  /** The include file holding the repository passphrase, installed by apply from the keystore. */
  cipherPath: string;
  /** Keystore entry of the repository passphrase (generated on first apply). */
  passphraseKey: string;
  /** Written once the stanza exists and the first full backup is taken; its hash pins the repository. */
  marker: { path: string; content: string; sha256: string };
  /** A directory repository (local storage) on the host, mounted writable; null for S3. */
  repoDir: string | null;
  cronPath: string;
  summary: { storage: string; schedule: string; retention: string } | null;
  /** Set on each member of a highly available add-on: its Patroni REST API's port (on loopback), which says
   *  whether it is the primary, the member that creates the stanza and takes base backups. */
  member?: { apiPort: number };
}

/** The add-on's disk-full guard on its host: its program, settings (the quota) and cron file. */
export interface DesiredDiskGuard {
  quotaMb: number;
  /** Host directory of the guard's settings and status (removed with the add-on). */
  stateDir: string;
  cronPath: string;
  /** By host path; nothing secret in them (no placeholders). */
  files: Record<string, RenderedFile>;
  summary: Record<string, string>;
}

export interface DesiredAddon {
  name: string;
  host: string;
  plan: string;
  container: ContainerSpec;
  database: string;
  roles: DesiredRole[];
  tls: DesiredTls;
  /** The pg_hba.conf dbform renders for the add-on. */
  hba: string;
  allowedIps: string[];
  extensions: string[];
  /** When the plan is made (certificate expiry is judged against it). */
  now: string;
  backups: DesiredBackups;
  pitr: DesiredPitr;
  diskGuard: DesiredDiskGuard;
  /** Keystore entry of the add-on's superuser password (used by dbform only, over the host's loopback). */
  superuserKey: string;
  /** Set for a highly available add-on: its hosts, the first preferred as primary. Its instance is then
   *  reached through the gateway at container.port (the add-on's port), whichever member is the primary. */
  ha?: { members: string[] };
  /** Its read replicas (the primary's side: role, slots, pg_hba.conf lines). Absent: none. */
  readReplicas?: ReplicaEndpoint[];
  /** It is the promoted read replica of `source`, whose data (until promoted) is in `dataDir` on its host. */
  promotedFrom?: { source: string; dataDir: string };
}

export interface ObservedContainer {
  addon: string;
  name: string;
  image: string;
  memoryMb: number;
  port: number;
  settings: Record<string, string>;
  status: string;
  running: boolean;
  dataDir: string;
  /** Bind mounts besides the data directory, "HOST:CONTAINER[:ro]", sorted (absent in older recordings). */
  mounts?: string[];
  /** The image the container runs (its ID) and that image's PostgreSQL version (label dbform.postgres.version;
   *  null when the image has none). Absent in older recordings. */
  imageId?: string;
  imageVersion?: string | null;
  /** What the container's image name points to on the host now (null: the name is gone): a rebuilt tag. */
  tagImageId?: string | null;
  tagVersion?: string | null;
  /** PostgreSQL major version of the data directory (pgdata/PG_VERSION; null when not initialized). */
  dataVersion?: string | null;
  /** Data directories kept after a major upgrade for a rollback ("pgdata.pg15"), beside pgdata. */
  keptData?: string[];
  /** Set on an undeclared container whose add-on the file now makes highly available, with a member on this
   *  host (container/kind.ts): the member takes its place, and the add-on's backup and PITR settings here. */
  replacedByMember?: boolean;
}

/** privileges as a sorted comma-separated list ("CONNECT,CREATE") -> number of objects having exactly them. */
export type PrivilegeHistogram = Record<string, number>;

export interface ObservedRole {
  name: string;
  superuser: boolean;
  createrole: boolean;
  createdb: boolean;
  replication: boolean;
  bypassrls: boolean;
  login: boolean;
  managed: boolean;
  verifier: string | null;
  memberOf: string[];
  ownedObjects: number;
  databasePrivs: string;
  schemaPrivs: string;
  tables: PrivilegeHistogram;
  sequences: PrivilegeHistogram;
  /** Read-only by default (default_transaction_read_only = on for the role): the disk-full guard's doing.
   *  Absent in recordings made before it was read. */
  readOnly?: boolean;
  /** What follows dbform's comment on the role ("dbform:managed; NOTE"): the guard's reason; else null. */
  note?: string | null;
}

export interface ObservedDefaultAcl {
  /** The role whose future objects get these privileges. */
  forRole: string;
  objtype: 'tables' | 'sequences';
  grantee: string;
  privs: string;
}

export interface ObservedExtension {
  name: string;
  managed: boolean;
}

export interface ObservedCatalog {
  databaseExists: boolean;
  databaseOwner: string | null;
  roles: ObservedRole[];
  defaultAcls: ObservedDefaultAcl[];
  /** Content of the files PostgreSQL reads from its data directory (null when missing). */
  hba: string | null;
  serverCert: string | null;
  rootCert: string | null;
  /** Extensions of the add-on's database (empty when it does not exist). */
  extensions: ObservedExtension[];
  /** Major version of the server read ("17"): what ALL PRIVILEGES means there. Absent in older recordings. */
  serverMajor?: string;
  /** The primary's side of read replicas: dbform's replication role and its slots. Absent in older recordings. */
  replicaSource?: ObservedReplicaSource;
}

export interface ObservedReplicaSource {
  role: { login: boolean; replication: boolean } | null;
  /** dbform's physical slots (SLOT_PREFIX), by name. */
  slots: Array<{ name: string; active: boolean }>;
}

/** Whether the live verifier of each declared role that exists matches the password dbform holds for it. */
export type PasswordState = 'matches' | 'differs' | 'not-held';

/** What the user kind observes: the catalog, and the password states (never the passwords). */
export interface ObservedUsers {
  catalog: ObservedCatalog | null;
  passwords: Record<string, PasswordState>;
}
