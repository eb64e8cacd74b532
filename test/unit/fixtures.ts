// Plain-data builders for diff tests: a desired add-on and the observed state of one in sync with it.
import type { DesiredAddon, DesiredRole, ObservedCatalog, ObservedContainer, ObservedRole, ObservedUsers, PasswordState } from '../../src/resources/model.js';
import { PRIVILEGES, isWriter } from '../../src/resources/grants/privileges.js';
import { scramVerifier } from '../../src/resources/users/scram.js';
import { renderHba } from '../../src/resources/hba/hba.js';
import type { DesiredContext } from '../../src/resources/kind.js';

export function role(name: string, access: DesiredRole['access']): DesiredRole {
  return {
    name,
    access,
    passwordSource: access === 'read-only' ? { source: 'env', name: 'RO_PASSWORD' } : { source: 'keystore', key: `addon/shop/user/${name}` },
  };
}

/** The password dbform holds for a fixture role (what syncedCatalog's verifiers are made from). */
export const passwordOf = (name: string): string => `pw-${name}`;

/** What the user kind observes: every role of the catalog with the password dbform holds, unless `states` says otherwise. */
export function usersIn(catalog: ObservedCatalog | null, states: Record<string, PasswordState> = {}): ObservedUsers {
  return { catalog, passwords: Object.fromEntries((catalog?.roles ?? []).map((r) => [r.name, states[r.name] ?? 'matches'])) };
}

export function desired(roles: DesiredRole[] = [role('shop', 'owner'), role('reporting', 'read-only'), role('writer', 'read-write')]): DesiredAddon {
  return {
    name: 'shop',
    host: 'local',
    plan: 'postgresql-starter-512',
    database: 'shop',
    superuserKey: 'addon/shop/postgres',
    roles,
    tls: { names: ['127.0.0.1', 'localhost'], caPublicKeyPem: '', force: false },
    hba: renderHba({ force: false, allowedIps: [] }),
    allowedIps: [],
    extensions: [],
    now: '2026-11-22T00:00:00.000Z',
    backups: { enabled: false, files: {}, cronPath: '/etc/cron.d/dbform-shop', confDir: '/var/lib/dbform/.backup/shop', summary: null },
    diskGuard: {
      quotaMb: 4096,
      stateDir: '/var/lib/dbform/.diskguard/shop',
      cronPath: '/etc/cron.d/dbform_disk-shop',
      files: {
        '/var/lib/dbform/.bin/dbform-diskguard': { content: '#!/bin/sh\n', mode: '755', sha256: 'a'.repeat(64) },
        '/var/lib/dbform/.diskguard/shop/guard.env': { content: 'QUOTA_MB=4096\n', mode: '644', sha256: 'b'.repeat(64) },
        '/etc/cron.d/dbform_disk-shop': { content: '* * * * * root true\n', mode: '644', sha256: 'c'.repeat(64) },
      },
      summary: { disk: '4 GB' },
    },
    pitr: {
      enabled: false,
      stanza: 'shop',
      stateDir: '/var/lib/dbform/.pitr/shop',
      files: {},
      cipherPath: '/var/lib/dbform/.pitr/shop/etc/conf.d/cipher.conf',
      passphraseKey: 'addon/shop/pitr-passphrase',
      marker: { path: '/var/lib/dbform/.pitr/shop/stanza.ok', content: '', sha256: '' },
      repoDir: null,
      cronPath: '/etc/cron.d/dbform-pitr-shop',
      summary: null,
    },
    container: {
      name: 'dbform-shop',
      image: 'dbform-postgresql:15',
      version: '15',
      memoryMb: 512,
      port: 31001,
      settings: { port: '31001', shared_buffers: '128MB' },
      dataDir: '/var/lib/dbform/shop',
      mounts: [],
    },
  };
}

export function runningContainer(d: DesiredAddon): ObservedContainer {
  return { addon: d.name, ...d.container, settings: { ...d.container.settings }, mounts: [...d.container.mounts], status: 'running', running: true };
}

/** The catalog as dbform leaves it after apply, for `d`, with `tables` tables and `seqs` sequences. */
export function syncedCatalog(d: DesiredAddon, tables = 3, seqs = 1): ObservedCatalog {
  const writers = d.roles.filter((r) => isWriter(r.access)).map((r) => r.name);
  const roles: ObservedRole[] = d.roles.map((r) => {
    const p = PRIVILEGES[r.access];
    return {
      name: r.name,
      superuser: false,
      createrole: false,
      createdb: false,
      replication: false,
      bypassrls: false,
      login: true,
      managed: true,
      verifier: scramVerifier(passwordOf(r.name)),
      memberOf: [],
      ownedObjects: 0,
      databasePrivs: p.database ?? 'CONNECT,CREATE,TEMPORARY',
      schemaPrivs: p.schema ?? '',
      tables: tables ? { [p.tables]: tables } : {},
      sequences: seqs ? { [p.sequences]: seqs } : {},
    };
  });
  const defaultAcls = d.roles.flatMap((r) =>
    writers
      .filter((w) => w !== r.name)
      .flatMap((w) => [
        { forRole: w, objtype: 'tables' as const, grantee: r.name, privs: PRIVILEGES[r.access].tables },
        { forRole: w, objtype: 'sequences' as const, grantee: r.name, privs: PRIVILEGES[r.access].sequences },
      ]),
  );
  return { databaseExists: true, databaseOwner: d.name, roles, defaultAcls, hba: d.hba, serverCert: null, rootCert: null, extensions: [] };
}

/** The `hosts:` entries of a three-host test fleet (db-1..db-3 at 10.77.0.11..13), for configs as YAML text. */
export const THREE_HOSTS_YAML = ['db-1', 'db-2', 'db-3']
  .map((h, i) => `  ${h}:\n    address: 10.77.0.1${i + 1}\n    hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n    identityFile: ~/.ssh/id_ed25519\n`)
  .join('');

/** A highly available business add-on `orders` on db-1 and db-2, the consensus store on db-3. */
export const ORDERS_CLUSTER_YAML = `version: 1
hosts:
${THREE_HOSTS_YAML}consensus:
  hosts: [db-3]
addons:
  orders:
    plan: postgresql-business-1024
    hosts: [db-1, db-2]
    port: 31001
`;

/** What desired-state builders get besides the config, for tests that do not check certificates. */
export const DESIRED_CTX: DesiredContext = { caPublicKeyPem: '', now: new Date('2026-11-30T00:00:00Z'), backupRecipient: () => 'age1recipient' };
