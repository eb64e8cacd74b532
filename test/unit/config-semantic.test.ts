import { describe, it, expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { FILE, yaml, errorsOf, onlyError, BASE } from './config-helpers.js';

describe('loadConfig: semantic errors', () => {
  it('reports a reference to a missing host', () => {
    const text = yaml(
      'version: 1',
      'hosts:',
      '  db-1:',
      '    transport: local',
      'addons:',
      '  shop:',
      '    plan: postgresql-sandbox',
      '    host: db-2',
      '    port: 31000',
    );
    expect(onlyError(text)).toBe('databases.yaml:8:11: host "db-2" is not declared under hosts; did you mean "db-1"? (declared: db-1)');
  });

  it('reports a reference to a missing storage', () => {
    expect(onlyError(yaml('version: 1', 'defaults:', '  storage: backups'))).toBe(
      'databases.yaml:3:12: storage "backups" is not declared under storage (declared: local)',
    );
  });

  it('reports two add-ons on one host:port at the second', () => {
    const text = yaml(...BASE, '  blog:', '    plan: postgresql-sandbox', '    port: 31000');
    expect(onlyError(text)).toBe(
      'databases.yaml:8:11: port 31000 on host "local" is already used by add-on "shop"; each add-on needs its own port on a host',
    );
  });

  it('suggests the closest plan for a typo', () => {
    expect(onlyError(yaml('version: 1', 'addons:', '  shop:', '    plan: postgresql-starter-500', '    port: 31000'))).toBe(
      'databases.yaml:4:11: unknown plan "postgresql-starter-500"; did you mean "postgresql-starter-512"?',
    );
  });

  it('lists the plans when nothing is close', () => {
    const error = onlyError(yaml('version: 1', 'addons:', '  shop:', '    plan: mysql-large', '    port: 31000'));
    expect(error).toMatch(/^databases\.yaml:4:11: unknown plan "mysql-large"; plans are postgresql-sandbox, postgresql-starter-\{256,/);
  });

  it.each([
    ['MyApp', /must be lowercase/],
    ['a'.repeat(42), /is too long \(42 characters, at most 41\)/],
    ['1app', /must start with a letter/],
    ['my_app', /contains characters other than/],
    ['postgres', /is reserved/],
  ])('refuses the add-on name %s', (name, why) => {
    const error = onlyError(yaml('version: 1', 'addons:', `  ${name}:`, '    plan: postgresql-sandbox', '    port: 31000'));
    expect(error.startsWith(`databases.yaml:3:3: add-on name "${name}" `)).toBe(true);
    expect(error).toMatch(why);
  });

  it('refuses a user name over 63 bytes of UTF-8 (even if 32 characters)', () => {
    const name = 'é'.repeat(32);
    expect(onlyError(yaml(...BASE, '    users:', `      ${name}:`, '        access: read-only'))).toBe(
      `databases.yaml:7:7: add-on "shop": user "${name}" is 64 bytes long in UTF-8; PostgreSQL role names hold at most 63 bytes`,
    );
  });

  it('refuses an empty user name', () => {
    expect(onlyError(yaml(...BASE, '    users:', '      "":', '        access: read-only'))).toMatch(
      /^databases\.yaml:7:7: add-on "shop": user "" is empty/,
    );
  });

  it.each([
    ['shop', /it is the add-on's owner/],
    ['postgres', /superuser/],
    ['pg_monitor', /starting with pg_/],
    ['public', /reserved by PostgreSQL/],
  ])('refuses the reserved user name %s', (name, why) => {
    const error = onlyError(yaml(...BASE, '    users:', `      ${name}:`, '        access: read-only'));
    expect(error.startsWith(`databases.yaml:7:7: add-on "shop": user "${name}" is reserved`)).toBe(true);
    expect(error).toMatch(why);
  });

  it.each(['25:00', '3pm', '03:60', '4:00 Mars/Olympus'])('refuses the backup hour %s', (at) => {
    const error = onlyError(yaml(...BASE, '    backups:', `      scheduleAt: "${at}"`));
    expect(error.startsWith(`databases.yaml:7:19: backups.scheduleAt "${at}" `)).toBe(true);
    expect(error).toMatch(/HH:MM|time zone/);
  });

  it('refuses an unknown time zone', () => {
    expect(onlyError(yaml(...BASE, 'defaults:', '  timezone: Mars/Olympus'))).toMatch(
      /^databases\.yaml:7:13: defaults\.timezone: "Mars\/Olympus" is not an IANA time zone/,
    );
  });

  it.each([
    ['10.0.0.0/33', 'has an invalid prefix length "/33"'],
    ['not-an-ip', 'is not an IP address or CIDR range'],
    ['fe80::1%eth0/64', 'is not an IP address or CIDR range'],
  ])('refuses the CIDR %s', (cidr, why) => {
    expect(onlyError(yaml(...BASE, `    allowedIps: ["${cidr}"]`))).toBe(`databases.yaml:6:18: allowedIps: "${cidr}" ${why}` + (why.startsWith('has') ? ': an IPv4 prefix is 0 to 32' : ' such as 10.0.0.0/8 or 2001:db8::/32'));
  });

  it('refuses a passwordEnv that is not an environment variable name', () => {
    expect(onlyError(yaml(...BASE, '    users:', '      bob:', '        access: read-only', '        passwordEnv: "my password"'))).toMatch(
      /^databases\.yaml:9:22: addons\.shop\.users\.bob\.passwordEnv: "my password" is not an environment variable name/,
    );
  });

  it('refuses PITR on a plan without it', () => {
    const text = yaml('version: 1', 'addons:', '  shop:', '    plan: postgresql-sandbox', '    port: 31000', '    backups:', '      pitr: true');
    expect(onlyError(text)).toMatch(/^databases\.yaml:7:13: plan postgresql-sandbox has no point-in-time recovery/);
  });

  it('reports several errors at once, sorted by line', () => {
    const text = yaml(
      'version: 1', // 1
      'addons:', // 2
      '  shop:', // 3
      '    plan: postgresql-starter-512', // 4
      '    host: nowhere', // 5
      '    port: 31000', // 6
      '    colour: blue', // 7
      '    allowedIps: [10.0.0.0/40]', // 8
      '  Blog:', // 9
      '    plan: postgresql-gold', // 10
      '    port: 31001', // 11
    );
    const errors = errorsOf(text);
    expect(errors.map((e) => e.split(': ')[0])).toEqual([
      'databases.yaml:5:11',
      'databases.yaml:7:5',
      'databases.yaml:8:18',
      'databases.yaml:9:3',
      'databases.yaml:10:11',
    ]);
    expect(errors.join('\n')).toMatch(/not declared under hosts/);
    expect(errors.join('\n')).toMatch(/unknown key "colour"/);
    expect(errors.join('\n')).toMatch(/unknown plan "postgresql-gold"/);
  });

  it('exposes the diagnostics as data', () => {
    try {
      loadConfig(FILE, yaml('version: 1', 'extra: 1'));
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).diagnostics).toEqual([
        { file: FILE, line: 2, col: 1, message: expect.stringContaining('unknown key "extra"') as unknown as string },
      ]);
    }
  });
});
