import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { notYetApplied } from '../../src/cli/not-yet.js';
import { patroniPlacements } from '../../src/resources/ha/desired.js';
import type { DesiredContext, Placed } from '../../src/resources/kind.js';
import type { DesiredAddon } from '../../src/resources/model.js';
import { pitrKind } from '../../src/resources/pitr/kind.js';
import { pitrBaseKind } from '../../src/resources/pitr-base/kind.js';
import { THREE_HOSTS_YAML } from './fixtures.js';

// Point-in-time recovery of a highly available add-on on plain data: pgBackRest's settings on every member host
// (one stanza, one repository), each naming its member's own PostgreSQL port, with a weekly script that takes
// the full base backup on the replica (reaching the primary through pgBackRest's TLS server in its container); archiving on in Patroni's settings with the settings mounted; the plan's
// changes when nothing is there, when everything is, and when PITR is turned off; none with a local storage.

const ctx: DesiredContext = { caPublicKeyPem: '', now: new Date('2026-11-30T00:00:00Z'), backupRecipient: () => 'age1recipient' };

const S3 = `    type: s3
    endpoint: https://s3.example:9000
    region: eu-west-3
    bucket: db-backups
    accessKeyIdEnv: HA_S3_KEY
    secretAccessKeyEnv: HA_S3_SECRET`;
const LOCAL = `    type: local
    path: /var/lib/dbform/backups`;

function config(storage: string, pitr = '') {
  return loadConfig('databases.yaml', `version: 1
hosts:
${THREE_HOSTS_YAML}storage:
  main:
${storage}
consensus:
  hosts: [db-3]
addons:
  orders:
    plan: postgresql-business-1024
    encryptionAtRest: false
    hosts: [db-2, db-1]
    port: 31001${pitr}
  shop:
    plan: postgresql-starter-256
    encryptionAtRest: false
    host: db-3
    port: 31001
`);
}

const OFF = `
    backups:
      pitr: false`;

const orders = (placed: Placed<DesiredAddon>[]) => placed.filter((p) => p.addon === 'orders');
/** What a member host holds once apply ran: every rendered file as planned, the passphrase file, the marker. */
const upToDate = (d: DesiredAddon) => ({ files: Object.fromEntries(Object.entries(d.pitr.files).map(([k, f]) => [k, f.sha256])), cipher: 'matches' as const, installed: true });

beforeEach(() => {
  process.env.HA_S3_KEY = 'key-id-1';
  process.env.HA_S3_SECRET = 'secret-canary-7d21';
});
afterEach(() => {
  delete process.env.HA_S3_KEY;
  delete process.env.HA_S3_SECRET;
});

describe('PITR of a highly available add-on', () => {
  it('is placed on every member host with one stanza and repository; each member names its own PostgreSQL and asks its Patroni before a full backup', () => {
    const placed = pitrKind.desired(config(S3), ctx);
    expect(placed.map((p) => [p.key, p.host, p.desired.host])).toEqual([['orders@db-2', 'db-2', 'db-2'], ['orders@db-1', 'db-1', 'db-1'], ['shop', 'db-3', 'db-3']]);
    expect(pitrBaseKind.desired(config(S3), ctx).map((p) => p.key)).toEqual(['orders@db-2', 'orders@db-1', 'shop']);
    const members = orders(placed);
    for (const m of members) {
      const p = m.desired.pitr;
      expect(p.enabled).toBe(true);
      expect(p.member).toEqual({ apiPort: 31003 });
      const conf = p.files['/var/lib/dbform/.pitr/orders/etc/pgbackrest.conf']!.content;
      expect(conf).toContain('pg1-port=31002\n');
      expect(conf).toContain('repo1-path=/.pgbackrest/orders\n');
      const cron = p.files['/etc/cron.d/dbform-pitr-orders']!.content;
      expect(cron).toContain('docker exec -u postgres dbform-orders sh /etc/pgbackrest/full-backup.sh >/dev/null');
      expect(cron).toContain('on the replica (on the primary when no healthy replica is there)');
      // The script reaches the other member by address at its pgBackRest TLS server's port (the add-on's port + 3).
      const script = p.files['/var/lib/dbform/.pitr/orders/etc/full-backup.sh']!.content;
      const peer = m.host === 'db-1' ? '10.77.0.12' : '10.77.0.11';
      expect(script).toContain(`--backup-standby --pg2-host=${peer} --pg2-host-type=tls --pg2-host-port=31004 `);
      expect(script).toContain('--pg2-path=/var/lib/dbform/pgdata --pg2-port=31002 --pg2-socket-path=/tmp backup');
    }
    // The same repository on both members: the same marker (repository identity) and pgbackrest.conf.
    expect(members[0]!.desired.pitr.marker).toEqual(members[1]!.desired.pitr.marker);
    const conf = (m: Placed<DesiredAddon>) => m.desired.pitr.files['/var/lib/dbform/.pitr/orders/etc/pgbackrest.conf']!.sha256;
    expect(conf(members[0]!)).toBe(conf(members[1]!));
    // The single instance is as before: its own port, no Patroni check.
    const shop = placed.find((p) => p.addon === 'shop')!.desired.pitr;
    expect(shop.member).toBeUndefined();
    expect(shop.files['/var/lib/dbform/.pitr/shop/etc/pgbackrest.conf']!.content).toContain('pg1-port=31001\n');
    expect(shop.files['/etc/cron.d/dbform-pitr-shop']!.content).not.toContain('/primary');
    const shopPlaced = placed.find((p) => p.addon === 'shop')!;
    expect(pitrKind.diff(shopPlaced, { files: {}, cipher: 'missing', installed: false })[0]!.steps[0]).not.toHaveProperty('derivePassphrase');
  });

  it('runs every Patroni member with archiving on and pgBackRest settings mounted; without PITR neither', () => {
    for (const m of patroniPlacements(config(S3), ctx)) {
      const params = (parse(m.desired.spec.files['patroni.yml']!) as { postgresql: { parameters: Record<string, string> } }).postgresql.parameters;
      expect(params).toMatchObject({ archive_mode: 'on', archive_command: 'pgbackrest --stanza=orders archive-push %p', archive_timeout: '50' });
      expect(m.desired.spec.mounts).toEqual(['/var/lib/dbform/.pitr/orders/etc:/etc/pgbackrest:ro']);
      // pgBackRest's TLS server beside Patroni, for the other member's base backups; the certificate names the
      // members' addresses as DNS names too (pgBackRest 2.45 matches DNS names only).
      const self = { db_1: '10.77.0.11', db_2: '10.77.0.12' }[m.host.replace('-', '_') as 'db_1' | 'db_2'];
      expect(m.desired.tlsNames).toEqual(expect.arrayContaining(['10.77.0.11', '10.77.0.12', 'dns:10.77.0.11', 'dns:10.77.0.12']));
      expect(m.desired.spec.command.slice(0, 2)).toEqual(['sh', '-c']);
      expect(m.desired.spec.command[2]).toBe(
        `while :; do pgbackrest server --tls-server-address=${self} --tls-server-port=31004 --tls-server-cert-file=/var/lib/dbform/tls/server.crt ` +
        '--tls-server-key-file=/var/lib/dbform/tls/server.key --tls-server-ca-file=/var/lib/dbform/tls/root.crt ' +
        "'--tls-server-auth=orders db-1=orders' '--tls-server-auth=orders db-2=orders' & echo $! >/tmp/pgbackrest-server.pid; wait $!; sleep 5; done & exec patroni /var/lib/dbform/patroni.yml",
      );
    }
    for (const storage of [S3, LOCAL]) {
      for (const m of patroniPlacements(config(storage, storage === S3 ? OFF : ''), ctx)) {
        expect(m.desired.spec.files['patroni.yml']).not.toContain('archive_mode');
        expect(m.desired.spec).not.toHaveProperty('mounts');
        expect(m.desired.tlsNames.filter((n) => n.startsWith('dns:'))).toEqual([]);
        expect(m.desired.spec.command).toEqual(['patroni', '/var/lib/dbform/patroni.yml']);
      }
    }
  });

  it('plans settings and the stanza on each member when nothing is there, and nothing once they are', () => {
    for (const m of orders(pitrKind.desired(config(S3), ctx))) {
      const settings = pitrKind.diff(m, { files: {}, cipher: 'missing', installed: false });
      expect(settings).toHaveLength(1);
      expect(settings[0]).toMatchObject({ address: `addon.orders.pitr.${m.host}`, kind: 'pitr', host: m.host, action: 'create', hazards: [] });
      expect(settings[0]!.steps.map((s) => s.type)).toEqual(['pitr.install']);
      // One repository, one passphrase: derived from the master key on every member, named, never carried.
      expect(settings[0]!.steps[0]).toMatchObject({ passphrase: { source: 'keystore', key: 'addon/orders/pitr-passphrase', generate: true }, derivePassphrase: true });
      const base = pitrBaseKind.diff(m, { marker: null, archivingFailingSince: null });
      expect(base).toHaveLength(1);
      expect(base[0]).toMatchObject({ address: `addon.orders.pitr_base.${m.host}`, kind: 'pitr-base', host: m.host, action: 'create' });
      expect(base[0]!.steps).toEqual([{ type: 'pitr.init', addon: 'orders', container: 'dbform-orders', stanza: 'orders', marker: m.desired.pitr.marker, patroniApiPort: 31003 }]);
      expect(JSON.stringify([settings, base])).not.toContain('secret-canary-7d21');

      expect(pitrKind.diff(m, upToDate(m.desired))).toEqual([]);
      expect(pitrBaseKind.diff(m, { marker: m.desired.pitr.marker.sha256, archivingFailingSince: null })).toEqual([]);
    }
  });

  it('turned off (backups.pitr: false) removes the settings from each member that has them, with BACKUPS_DISABLED', () => {
    const on = orders(pitrKind.desired(config(S3), ctx));
    for (const m of orders(pitrKind.desired(config(S3, OFF), ctx))) {
      expect(m.desired.pitr.enabled).toBe(false);
      const before = upToDate(on.find((x) => x.host === m.host)!.desired);
      const changes = pitrKind.diff(m, before);
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({ address: `addon.orders.pitr.${m.host}`, action: 'delete', host: m.host });
      expect(changes[0]!.hazards.map((h) => h.code)).toEqual(['BACKUPS_DISABLED']);
      expect(changes[0]!.steps).toEqual([{ type: 'pitr.remove', addon: 'orders', stateDir: '/var/lib/dbform/.pitr/orders', cronPath: '/etc/cron.d/dbform-pitr-orders' }]);
      expect(pitrKind.diff(m, { files: {}, cipher: 'missing', installed: false })).toEqual([]);
      expect(pitrBaseKind.diff(m, { marker: null, archivingFailingSince: null })).toEqual([]);
    }
  });

  it('is not taken with a local directory storage (each member would have a repository of its own), and the plan says so', () => {
    const placed = orders(pitrKind.desired(config(LOCAL), ctx));
    expect(placed.map((p) => p.desired.pitr.enabled)).toEqual([false, false]);
    expect(notYetApplied(config(LOCAL)).join('\n')).toContain('PITR to a local directory storage (no base backup or WAL archive is taken: use an s3 storage)');
    expect(notYetApplied(config(S3)).join('\n')).not.toContain('PITR');
    expect(notYetApplied(config(S3, OFF)).join('\n')).not.toContain('PITR');
  });
});
