import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { desiredFleet } from '../../src/gather/gather.js';
import type { AnyKind, DesiredContext } from '../../src/resources/kind.js';
import { KINDS } from '../../src/resources/registry.js';
import { HAZARD_CODES } from '../../src/plan/types.js';
import { usersIn, THREE_HOSTS_YAML } from './fixtures.js';
import { NO_VOLUME } from '../../src/resources/volume/gather.js';

// The kind contract (src/resources/README.md): every folder is a registered kind (or a declared shared
// module), and every registered kind keeps the promises the pipeline relies on.

const RESOURCES = fileURLToPath(new URL('../../src/resources/', import.meta.url));
/** Folders that are not kinds: code shared by several kinds. */
const SHARED_FOLDERS = ['instance', 'ha'];

const CANARY_PASSWORD = 'canary-password-7f3a';
const CANARY_SECRET = 'canary-s3-secret-91bd';

const YAML = `version: 1
hosts:
  db-1:
    address: 10.77.0.11
    user: root
    hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl
    identityFile: ~/.ssh/id_ed25519
storage:
  main:
    type: s3
    endpoint: https://s3.example:443
    region: us-east-1
    bucket: db-backups
    accessKeyIdEnv: CONTRACT_S3_KEY
    secretAccessKeyEnv: CONTRACT_S3_SECRET
addons:
  shop:
    plan: postgresql-starter-512
    port: 31001
    tls:
      force: true
    allowedIps: [10.0.0.0/8]
    extensions: [pg_trgm]
    users:
      reporting:
        access: read-only
        passwordEnv: CONTRACT_PASSWORD
      writer:
        access: read-write
    backups:
      pitr: true
`;

/** A highly available business add-on on db-1 and db-2, etcd on db-3: what the high-availability kinds place. */
const HA_YAML = `version: 1
hosts:
${THREE_HOSTS_YAML}consensus:
  hosts: [db-3]
addons:
  orders:
    plan: postgresql-business-1024
    hosts: [db-1, db-2]
    port: 31001
    allowedIps: [10.0.0.0/8]
    users:
      reporting:
        access: read-only
        passwordEnv: CONTRACT_PASSWORD
`;
/** shop with a read replica on a second host, db-2: what the replica kind places. */
const REPLICA_YAML = YAML.replace('storage:\n', `  db-2:\n    address: 10.77.0.12\n    user: root\n    hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n    identityFile: ~/.ssh/id_ed25519\nstorage:\n`)
  .replace('    port: 31001\n', '    host: db-1\n    port: 31001\n    readReplicas: [db-2]\n');
/** Where each high-availability kind places its resources in HA_YAML. */
const HA_HOSTS: Record<string, string[]> = { etcd: ['db-3'], patroni: ['db-1', 'db-2'], gateway: ['db-1', 'db-2'], 'cluster-slots': ['db-1'] };

const ctx: DesiredContext = { caPublicKeyPem: '', now: new Date('2026-11-30T00:00:00Z'), backupRecipient: () => 'age1recipient' };

/** What each kind observes on a host where nothing was created yet. */
const NOTHING: Record<string, unknown> = { container: null, user: usersIn(null), database: null, grants: null, extension: null, tls: null, access: null, backups: {}, retention: { records: [], installed: null }, pitr: { files: {}, cipher: 'missing', installed: false }, 'pitr-base': { marker: null, archivingFailingSince: null }, etcd: { container: null, files: {} }, patroni: { container: null, files: {}, member: null }, gateway: { container: null, files: {} }, diskguard: { files: {}, readOnly: null }, volume: NO_VOLUME, 'volume-removal': null, replica: null, replication: null, 'cluster-slots': null };

beforeEach(() => {
  process.env.CONTRACT_PASSWORD = CANARY_PASSWORD;
  process.env.CONTRACT_S3_KEY = 'key-id';
  process.env.CONTRACT_S3_SECRET = CANARY_SECRET;
});
afterEach(() => {
  for (const k of ['CONTRACT_PASSWORD', 'CONTRACT_S3_KEY', 'CONTRACT_S3_SECRET']) delete process.env[k];
});

describe('the registry', () => {
  it('lists a kind for every folder of src/resources, and nothing else', () => {
    const folders = readdirSync(RESOURCES).filter((f) => statSync(join(RESOURCES, f)).isDirectory());
    const kindFolders = folders.filter((f) => !SHARED_FOLDERS.includes(f));
    for (const f of kindFolders) expect(readdirSync(join(RESOURCES, f)), `src/resources/${f} has no kind.ts`).toContain('kind.ts');
    expect(KINDS).toHaveLength(kindFolders.length);
    expect(new Set(KINDS.map((k) => k.kind)).size).toBe(KINDS.length);
  });

  it('instance kinds belong to an add-on (their state lives in its instance)', () => {
    for (const k of KINDS.filter((x) => x.reads === 'instance')) expect(k.scope, k.kind).toBe('addon');
  });
});

describe.each(KINDS.map((k) => [k.kind, k] as [string, AnyKind]))('kind %s', (name, kind) => {
  const ha = name in HA_HOSTS;
  const replica = name === 'replica';
  const config = () => loadConfig('databases.yaml', ha ? HA_YAML : replica ? REPLICA_YAML : YAML);

  it('builds its desired state from the config alone, without a secret in it', () => {
    const placed = kind.desired(config(), ctx);
    expect(placed.length).toBeGreaterThan(0);
    if (ha) expect(placed.map((p) => p.host)).toEqual(HA_HOSTS[name]);
    else if (replica) expect(placed.map((p) => p.key)).toEqual(['shop@db-2']);
    else for (const p of placed) expect(p.host).toBe('db-1');
    const text = JSON.stringify(placed);
    expect(text).not.toContain(CANARY_PASSWORD);
    expect(text).not.toContain(CANARY_SECRET);
  });

  it('emits only the step types it executes, the hazards it declares, and changes of its own kind', () => {
    expect(name in NOTHING, `add what ${name} observes on an empty host to NOTHING`).toBe(true);
    for (const p of kind.desired(config(), ctx)) {
      for (const change of kind.diff(p, NOTHING[name])) {
        expect(change.kind).toBe(name);
        for (const step of change.steps) expect(Object.keys(kind.executors), `${change.address}: step ${step.type}`).toContain(step.type);
        for (const h of change.hazards) expect(kind.hazards).toContain(h.code);
        expect(JSON.stringify(change)).not.toContain(CANARY_SECRET);
      }
    }
    for (const h of kind.hazards) expect(HAZARD_CODES).toContain(h);
  });
});

describe('desired state', () => {
  it('reports a missing passwordEnv at the user declaration, before any host is contacted', () => {
    delete process.env.CONTRACT_PASSWORD;
    expect(() => desiredFleet(loadConfig('databases.yaml', YAML), ctx)).toThrow(
      'databases.yaml:25:7: add-on shop, user "reporting": environment variable CONTRACT_PASSWORD (passwordEnv) is not set',
    );
  });

  it('reports a missing storage credential at the storage declaration', () => {
    delete process.env.CONTRACT_S3_SECRET;
    expect(() => desiredFleet(loadConfig('databases.yaml', YAML), ctx)).toThrow(
      'databases.yaml:9:3: storage main (backups of add-on shop): environment variable CONTRACT_S3_SECRET is not set',
    );
  });
});
