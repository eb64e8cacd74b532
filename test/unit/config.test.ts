import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { ConfigError, PLAN_NAMES, addonImage, loadConfig, lookupPlan, parseScheduleAt, postgresSettings, type Config } from '../../src/config/index.js';
import { FILE, yaml, onlyError, BASE } from './config-helpers.js';

const FULL = yaml(
  'version: 1', // 1
  'hosts:', // 2
  '  db-1:', // 3
  '    address: 10.77.0.11', // 4
  '    user: root', // 5
  '    port: 22', // 6
  '    hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', // 7
  '    identityFile: ~/.ssh/id_ed25519', // 8
  '  laptop:', // 9
  '    transport: local', // 10
  'storage:', // 11
  '  main:', // 12
  '    type: s3', // 13
  '    endpoint: https://s3.example:443', // 14
  '    region: us-east-1', // 15
  '    bucket: db-backups', // 16
  '    accessKeyIdEnv: S3_ACCESS_KEY_ID', // 17
  '    secretAccessKeyEnv: S3_SECRET_ACCESS_KEY', // 18
  '    caFile: ./ca.pem', // 19
  'defaults:', // 20
  '  timezone: Europe/Paris', // 21
  '  image: dbform-postgresql:15', // 22
  '  storage: main', // 23
  'addons:', // 24
  '  my-app:', // 25
  '    plan: postgresql-starter-512', // 26
  '    version: "15"', // 27
  '    host: db-1', // 28
  '    port: 31000', // 29
  '    tls:', // 30
  '      force: true', // 31
  '    encryptionAtRest: true', // 32
  '    allowedIps: [10.0.0.0/8, "2001:db8::/32", 192.168.1.7]', // 33
  '    backups:', // 34
  '      scheduleAt: "03:00"', // 35
  '      pitr: true', // 36
  '    extensions: [pg_trgm]', // 37
  '    users:', // 38
  '      reporting:', // 39
  '        access: read-only', // 40
  '        passwordEnv: REPORTING_PASSWORD', // 41
  '      admin-tool:', // 42
  '        access: read-write', // 43
  '  billing:', // 44
  '    plan: postgresql-sandbox', // 45
  '    host: laptop', // 46
  '    port: 31001', // 47
);

describe('loadConfig: a valid file', () => {
  it('parses the full example into the typed Config, with defaults, sorted', () => {
    const config = loadConfig(FILE, FULL);
    const pos = (line: number, col: number) => ({ file: FILE, line, col });
    const expected: Config = {
      file: FILE,
      sha256: config.sha256,
      version: 1,
      hosts: [
        {
          name: 'db-1',
          transport: 'ssh',
          address: '10.77.0.11',
          user: 'root',
          port: 22,
          hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
          identityFile: '~/.ssh/id_ed25519',
          dataDir: '/var/lib/dbform',
        },
        { name: 'laptop', transport: 'local', dataDir: '/var/lib/dbform' },
      ],
      storage: [
        {
          name: 'main',
          type: 's3',
          endpoint: 'https://s3.example:443',
          region: 'us-east-1',
          bucket: 'db-backups',
          accessKeyIdEnv: 'S3_ACCESS_KEY_ID',
          secretAccessKeyEnv: 'S3_SECRET_ACCESS_KEY',
          caFile: './ca.pem',
          pos: { file: 'databases.yaml', line: 12, col: 3 },
        },
      ],
      defaults: { timezone: 'Europe/Paris', image: 'dbform-postgresql:15', storage: 'main' },
      consensus: null,
      addons: [
        {
          name: 'billing',
          plan: 'postgresql-sandbox',
          version: '15',
          host: 'laptop',
          hosts: ['laptop'],
          readReplicas: [],
          port: 31001,
          tls: { force: false },
          encryptionAtRest: false,
          encryptionKeyVersion: 1,
          diskMb: 1024,
          allowedIps: [],
          backups: { pitr: false },
          extensions: [],
          users: [],
          maintenance: {},
          logs: { slowQueryMs: 5000 },
          pos: pos(44, 3),
        },
        {
          name: 'my-app',
          plan: 'postgresql-starter-512',
          version: '15',
          host: 'db-1',
          hosts: ['db-1'],
          readReplicas: [],
          port: 31000,
          tls: { force: true },
          encryptionAtRest: true,
          encryptionKeyVersion: 1,
          diskMb: 4096,
          allowedIps: ['10.0.0.0/8', '2001:db8::/32', '192.168.1.7/32'],
          backups: { scheduleAt: '03:00', pitr: true },
          extensions: ['pg_trgm'],
          users: [
            { name: 'admin-tool', access: 'read-write', pos: pos(42, 7) },
            { name: 'reporting', access: 'read-only', passwordEnv: 'REPORTING_PASSWORD', pos: pos(39, 7) },
          ],
          maintenance: {},
          logs: { slowQueryMs: 5000 },
          pos: pos(25, 3),
        },
      ],
    };
    expect(config).toEqual(expected);
    expect(config.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes the file bytes: any edit changes sha256', () => {
    const a = loadConfig(FILE, yaml(...BASE));
    const b = loadConfig(FILE, yaml(...BASE, '    # a comment'));
    expect(a.sha256).not.toBe(b.sha256);
    expect(loadConfig(FILE, yaml(...BASE)).sha256).toBe(a.sha256);
  });

  it('uses the embedded local host and local storage when none is declared', () => {
    const config = loadConfig(FILE, yaml(...BASE));
    expect(config.hosts).toEqual([{ name: 'local', transport: 'local', dataDir: '/var/lib/dbform' }]);
    expect(config.storage).toEqual([{ name: 'local', type: 'local', path: '/var/lib/dbform/backups', pos: { file: 'databases.yaml', line: 0, col: 0 } }]);
    // The default image follows each add-on's major version (config/image.ts).
    expect(config.defaults).toEqual({ timezone: 'Europe/Paris', image: 'dbform-postgresql:{version}', storage: 'local' });
    expect(config.addons[0]?.host).toBe('local');
    expect(config.addons[0]?.version).toBe('15');
    expect(addonImage(config, config.addons[0]!)).toBe('dbform-postgresql:15');
    expect(addonImage(config, { version: '17' })).toBe('dbform-postgresql:17');
  });

  it('accepts any user name PostgreSQL can hold: quoting is for later, not a reason to reject', () => {
    const config = loadConfig(FILE, yaml(...BASE, '    users:', `      'a"b; DROP TABLE x; --':`, '        access: read-only'));
    expect(config.addons[0]?.users.map((u) => u.name)).toEqual(['a"b; DROP TABLE x; --']);
  });

  it('accepts "H:MM" and "HH:MM ZONE" backup hours', () => {
    for (const at of ['4:00 UTC', '23:30 Europe/Paris', '00:00']) {
      const config = loadConfig(FILE, yaml(...BASE, '    backups:', `      scheduleAt: "${at}"`));
      expect(config.addons[0]?.backups.scheduleAt).toBe(at);
    }
    expect(parseScheduleAt('4:05 UTC')).toEqual({ hour: 4, minute: 5, zone: 'UTC' });
    expect(parseScheduleAt('23:59')).toEqual({ hour: 23, minute: 59 });
  });

  it('loads the quickstart example without error', () => {
    const config = loadConfig('examples/quickstart/databases.yaml');
    expect(config.hosts).toEqual([{ name: 'local', transport: 'local', dataDir: '/var/lib/dbform-quickstart' }]);
    expect(config.addons.map((a) => [a.name, a.plan, a.port, a.users.map((u) => `${u.name}:${u.access}`)])).toEqual([
      ['notes', 'postgresql-sandbox', 31002, []],
      ['shop', 'postgresql-starter-512', 31001, ['app-writer:read-write', 'reporting:read-only']],
    ]);
  });
});

describe('loadConfig: YAML errors', () => {
  it('reports an unknown key at the top level', () => {
    expect(onlyError(yaml('version: 1', 'extra: true'))).toMatch(/^databases\.yaml:2:1: unknown key "extra" in the top level/);
  });

  it('reports an unknown nested key at the key itself, with a suggestion', () => {
    const error = onlyError(yaml(...BASE, '    tls:', '      forced: true'));
    expect(error).toMatch(/^databases\.yaml:7:7: unknown key "forced" in addons\.shop\.tls; did you mean "force"\?/);
  });

  it('reports a duplicate key where it repeats', () => {
    expect(onlyError(yaml(...BASE, '    port: 31001'))).toBe('databases.yaml:6:5: duplicate key "port": each key may appear once in a mapping');
  });

  it('reports a syntax error with its position', () => {
    expect(onlyError(yaml('version: 1', 'addons: [shop'))).toMatch(/^databases\.yaml:\d+:\d+: YAML: /);
  });

  it('refuses an alias bomb quickly, without expanding it', () => {
    const lol = Array.from({ length: 9 }, () => '"lol"').join(', ');
    const level = (name: string, prev: string) => `${name}: &${name} [${Array.from({ length: 9 }, () => `*${prev}`).join(', ')}]`;
    const text = yaml(
      'version: 1',
      `a: &a [${lol}]`,
      level('b', 'a'),
      level('c', 'b'),
      level('d', 'c'),
      level('e', 'd'),
      level('f', 'e'),
      level('g', 'f'),
      level('h', 'g'),
      level('i', 'h'),
    );
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const error = onlyError(text);
    const elapsed = performance.now() - started;
    // On line 4, the 6th *b (col 28) brings the expansion past the limit: 6 uses x 9 aliases each > 50.
    expect(error).toMatch(/^databases\.yaml:4:28: alias \*b expands the document too much .*alias bomb/);
    expect(elapsed).toBeLessThan(500);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);
  });

  it('refuses an alias inside its own anchor', () => {
    expect(onlyError(yaml('version: 1', 'x: &a [*a]'))).toMatch(/^databases\.yaml:2:8: alias \*a is inside its own anchor/);
  });

  it('refuses an empty file', () => {
    expect(onlyError('')).toMatch(/^databases\.yaml:1:1: the file is empty/);
  });
});

describe('loadConfig: schema errors', () => {
  it('refuses version 2', () => {
    expect(onlyError(yaml('version: 2'))).toBe(
      'databases.yaml:1:10: version number 2 is not supported: this dbform reads databases.yaml version 1',
    );
  });

  it('names a missing required key at the mapping that lacks it', () => {
    expect(onlyError(yaml('version: 1', 'addons:', '  shop:', '    plan: postgresql-sandbox'))).toBe(
      'databases.yaml:3:3: addons.shop: missing required key "port"',
    );
  });

  it('lists the allowed values of an enum', () => {
    expect(onlyError(yaml(...BASE, '    users:', '      bob:', '        access: admin'))).toBe(
      'databases.yaml:8:17: addons.shop.users.bob.access: "admin" is not allowed; use one of: "read-only", "read-write"',
    );
  });

  it('asks to quote a version written as a number', () => {
    expect(onlyError(yaml(...BASE, '    version: 15'))).toBe(
      'databases.yaml:6:14: addons.shop.version: must be a string, got number 15 (quote it: "15")',
    );
  });

  it('refuses a port below 1024', () => {
    expect(onlyError(yaml('version: 1', 'addons:', '  shop:', '    plan: postgresql-sandbox', '    port: 80'))).toBe(
      'databases.yaml:5:11: addons.shop.port: must be >= 1024, got number 80',
    );
  });
});


describe('plans', () => {
  it('has the SPEC catalog, identical to the schema enum', () => {
    expect(PLAN_NAMES).toHaveLength(12);
    const schema = JSON.parse(readFileSync('schemas/databases.schema.json', 'utf8')) as {
      definitions: { addon: { properties: { plan: { enum: string[] } } } };
    };
    expect(schema.definitions.addon.properties.plan.enum).toEqual([...PLAN_NAMES]);
  });

  it('follows the SPEC table', () => {
    expect(lookupPlan('postgresql-sandbox')).toMatchObject({ memoryMb: 256, backups: false, pitr: null, ha: false });
    expect(lookupPlan('postgresql-starter-1024')).toMatchObject({
      memoryMb: 1024,
      nodes: 1,
      ha: false,
      retention: { daily: 7, weekly: 4, monthly: 0, manual: 10 },
      pitr: { fullBackupsKept: 1, windowDays: 7 },
    });
    expect(lookupPlan('postgresql-business-8192')).toMatchObject({
      memoryMb: 8192,
      nodes: 2,
      ha: true,
      retention: { daily: 7, weekly: 8, monthly: 12, manual: 50 },
    });
    expect(lookupPlan('postgresql-business-256')).toBeUndefined();
  });

  it('derives PostgreSQL settings from memory', () => {
    expect(postgresSettings(512)).toEqual({
      shared_buffers: '128MB',
      effective_cache_size: '384MB',
      max_connections: '76',
      work_mem: '1724kB',
      maintenance_work_mem: '32MB',
    });
    expect(postgresSettings(256)).toMatchObject({ max_connections: '51', work_mem: '1285kB', maintenance_work_mem: '16MB' });
    expect(postgresSettings(8192)).toMatchObject({ max_connections: '500', work_mem: '4194kB', shared_buffers: '2048MB' });
  });
});

describe('extensions', () => {
  it('accepts an allowed extension and rejects one outside the list with its position', () => {
    const base = `version: 1\naddons:\n  shop:\n    plan: postgresql-sandbox\n    port: 31001\n    extensions: [pg_trgm, "uuid-ossp", pg_trgmm, adminpack]\n`;
    let err: unknown;
    try {
      loadConfig('databases.yaml', base);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^databases\.yaml:6:40: extension "pg_trgmm" is not allowed; did you mean "pg_trgm"\?/);
    expect(lines[1]).toMatch(/^databases\.yaml:6:50: extension "adminpack" is not allowed/);
    const ok = loadConfig('databases.yaml', base.replace(', pg_trgmm, adminpack', ''));
    expect(ok.addons[0]!.extensions).toEqual(['pg_trgm', 'uuid-ossp']);
  });
});
