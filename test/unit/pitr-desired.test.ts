import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { DesiredContext } from '../../src/resources/kind.js';
import { desiredAddon } from '../../src/resources/desired.js';
import { sha256Hex } from '../../src/util/canonical.js';
import { archiveSettings } from '../../src/resources/pitr/settings.js';

// What PITR adds to an add-on's desired state: pgBackRest's settings file (credentials as placeholders), the
// weekly cron file, the archive settings and read-only mount of its container.

const ctx: DesiredContext = { caPublicKeyPem: '', now: new Date('2026-11-30T00:00:00Z'), backupRecipient: () => 'age1recipient' };

function yamlWith(storage: string, pitr: boolean, scheduleAt = '01:00'): string {
  return `version: 1
hosts:
  db-1:
    address: 10.77.0.11
    user: root
    hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl
    identityFile: ~/.ssh/id_ed25519
storage:
  main:
${storage}
defaults:
  timezone: Europe/Paris
addons:
  shop:
    plan: postgresql-starter-512
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    port: 31001
    backups:
      scheduleAt: "${scheduleAt}"
      pitr: ${pitr}
`;
}

const S3 = `    type: s3
    endpoint: https://s3.example:9000
    region: eu-west-3
    bucket: db-backups
    accessKeyIdEnv: PITR_S3_KEY
    secretAccessKeyEnv: PITR_S3_SECRET`;

function shop(storage: string, pitr = true, scheduleAt?: string) {
  const config = loadConfig('databases.yaml', yamlWith(storage, pitr, scheduleAt));
  return desiredAddon(config, config.addons[0]!, ctx);
}

beforeEach(() => {
  process.env.PITR_S3_KEY = 'key-id-1';
  process.env.PITR_S3_SECRET = 'secret-canary-55e1';
});
afterEach(() => {
  delete process.env.PITR_S3_KEY;
  delete process.env.PITR_S3_SECRET;
});

describe('PITR desired state', () => {
  it('S3: pgbackrest.conf names the repository, encryption and retention; credentials are placeholders', () => {
    const d = shop(S3);
    const conf = d.pitr.files['/var/lib/dbform/.pitr/shop/etc/pgbackrest.conf']!;
    const lines = conf.content.split('\n');
    for (const l of ['repo1-type=s3', 'repo1-s3-endpoint=s3.example', 'repo1-storage-port=9000', 'repo1-s3-uri-style=path', 'repo1-s3-region=eu-west-3',
      'repo1-s3-bucket=db-backups', 'repo1-path=/.pgbackrest/shop', 'repo1-cipher-type=aes-256-cbc', 'repo1-retention-full-type=time',
      'repo1-retention-full=7', '[shop]', 'pg1-path=/var/lib/dbform/pgdata', 'pg1-port=31001', 'pg1-socket-path=/tmp']) {
      expect(lines).toContain(l);
    }
    expect(lines).toContain('repo1-s3-key={{env:PITR_S3_KEY}}');
    expect(lines).toContain('repo1-s3-key-secret={{env:PITR_S3_SECRET}}');
    expect(conf.content).not.toContain('secret-canary-55e1');
    expect(conf.content).not.toContain('cipher-pass');
    // The hash is of the file as written on the host: credentials filled in.
    expect(conf.sha256).toBe(sha256Hex(conf.content.replace('{{env:PITR_S3_KEY}}', 'key-id-1').replace('{{env:PITR_S3_SECRET}}', 'secret-canary-55e1')));
    expect(conf.mode).toBe('600');
    expect(d.pitr.marker.content).not.toContain('key-id-1');
    expect(d.pitr.passphraseKey).toBe('addon/shop/pitr-passphrase');
  });

  it('the container archives every segment to the stanza within 50 s (an RPO of 60 s with the upload), with the settings mounted read-only', () => {
    const c = shop(S3).container;
    expect(c.settings).toMatchObject({ archive_mode: 'on', archive_command: 'pgbackrest --stanza=shop archive-push %p', archive_timeout: '50' });
    expect(c.mounts).toEqual(['/var/lib/dbform/.pitr/shop/etc:/etc/pgbackrest:ro']);
  });

  it("archives from the stanza's pg1-path, the add-on's own data directory", () => {
    expect(archiveSettings('shop').archive_command).toBe('pgbackrest --stanza=shop archive-push %p');
  });

  it('a weekly full base backup, Sundays 30 minutes after the daily logical backup, in the add-on zone', () => {
    const cron = shop(S3, true, '03:45').pitr.files['/etc/cron.d/dbform-pitr-shop']!.content;
    expect(cron).toContain('Sundays at 04:15 Europe/Paris');
    // Europe/Paris is UTC+1 or UTC+2: the guard fires at 02:15 and 03:15 UTC.
    expect(cron).toMatch(/^15 2,3 \* \* \* root /m);
    expect(cron).toContain(`if [ "$(TZ='Europe/Paris' date +\\%u)" = 7 ]; then docker exec -u postgres dbform-shop pgbackrest --stanza=shop --type=full backup`);
  });

  it('a local storage is a directory repository on the host, mounted writable', () => {
    const d = shop('    type: local\n    path: /srv/backups');
    expect(d.pitr.files['/var/lib/dbform/.pitr/shop/etc/pgbackrest.conf']!.content).toContain('repo1-type=posix\nrepo1-path=/var/lib/pgbackrest\n');
    expect(d.pitr.repoDir).toBe('/srv/backups/.pgbackrest/shop');
    expect(d.container.mounts).toEqual(['/srv/backups/.pgbackrest/shop:/var/lib/pgbackrest', '/var/lib/dbform/.pitr/shop/etc:/etc/pgbackrest:ro']);
  });

  it('pgBackRest needs TLS: a plain http endpoint is refused', () => {
    expect(() => shop(S3.replace('https://s3.example:9000', 'http://s3.example:9000'))).toThrow('point-in-time recovery (pgBackRest) needs an https:// endpoint');
  });

  it('pgBackRest checks the certificate by DNS name: an endpoint given by address is refused', () => {
    expect(() => shop(S3.replace('https://s3.example:9000', 'https://10.77.0.2:443'))).toThrow('needs the endpoint by DNS name, as its TLS certificate names it, not 10.77.0.2');
  });

  it('pitr: false adds nothing to the container', () => {
    const d = shop(S3, false);
    expect(d.pitr.enabled).toBe(false);
    expect(d.pitr.files).toEqual({});
    expect(d.container.mounts).toEqual([]);
    expect(Object.keys(d.container.settings).filter((k) => k.startsWith('archive'))).toEqual([]);
  });
});
