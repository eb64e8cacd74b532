import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { FILE, errorsOf, onlyError, yaml } from './config-helpers.js';

// A business add-on's members (`hosts:`) and the fleet's consensus store (`consensus:`).

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
// Lines 1-8: two lines per host (a comment, then the host), so that the positions below stay readable.
const HOSTS = ['version: 1', 'hosts:', ...['db-1', 'db-2', 'db-3'].flatMap((h, i) => [`  # ${h}`, `  ${h}: {address: 10.77.0.1${i + 1}, hostKey: ${KEY}, identityFile: ~/.ssh/id_ed25519}`])];

function file(addon: string[], consensus: string[] = ['consensus:', '  hosts: [db-3]']): string {
  return yaml(...HOSTS, ...consensus, 'addons:', '  shop:', ...addon);
}

describe('high availability in databases.yaml', () => {
  it('reads a business add-on on two hosts, the first preferred, and the consensus store', () => {
    const config = loadConfig(FILE, file(['    plan: postgresql-business-1024', '    hosts: [db-2, db-1]', '    port: 31000']));
    expect(config.addons[0]).toMatchObject({ host: 'db-2', hosts: ['db-2', 'db-1'] });
    expect(config.consensus).toMatchObject({ hosts: ['db-3'], pos: { line: 9, col: 1 } });
  });

  it('keeps a single host valid for every plan, business included', () => {
    const config = loadConfig(FILE, file(['    plan: postgresql-business-1024', '    host: db-1', '    port: 31000'], []));
    expect(config.addons[0]).toMatchObject({ host: 'db-1', hosts: ['db-1'] });
    expect(config.consensus).toBeNull();
  });

  it('refuses a business add-on with one host in hosts', () => {
    expect(onlyError(file(['    plan: postgresql-business-1024', '    hosts: [db-1]', '    port: 31000']))).toBe(
      'databases.yaml:14:12: add-on "shop": a business add-on runs on 2 hosts (a primary and its synchronous replica), got 1; list 2 hosts, or use host: for a single instance',
    );
  });

  it('refuses a highly available add-on on a version its image has no Patroni for', () => {
    expect(onlyError(file(['    plan: postgresql-business-1024', '    hosts: [db-1, db-2]', '    port: 31000', '    version: "17"']))).toBe(
      'databases.yaml:16:14: add-on "shop": a highly available add-on runs PostgreSQL 15 for now (Patroni and etcd are in dbform\'s 15 image only); set version: "15", or use host: for a single instance of 17',
    );
    expect(loadConfig(FILE, file(['    plan: postgresql-business-1024', '    hosts: [db-1, db-2]', '    port: 31000', '    version: "15"'])).addons[0]?.version).toBe('15');
  });

  it('refuses an unknown member host, with a suggestion', () => {
    expect(onlyError(file(['    plan: postgresql-business-1024', '    hosts: [db-1, db-4]', '    port: 31000']))).toBe(
      'databases.yaml:14:19: host "db-4" is not declared under hosts; did you mean "db-1"? (declared: db-1, db-2, db-3)',
    );
  });

  it('refuses hosts on a plan that is not business', () => {
    expect(onlyError(file(['    plan: postgresql-starter-512', '    hosts: [db-1, db-2]', '    port: 31000']))).toBe(
      'databases.yaml:14:5: add-on "shop": hosts lists the members of a highly available add-on, which only business plans are; use host: with plan "postgresql-starter-512"',
    );
  });

  it('refuses host and hosts together', () => {
    expect(onlyError(file(['    plan: postgresql-business-512', '    host: db-1', '    hosts: [db-1, db-2]', '    port: 31000']))).toMatch(
      /^databases\.yaml:15:5: add-on "shop": set host \(one instance\) or hosts/,
    );
  });

  it('needs a consensus store for a highly available add-on', () => {
    expect(onlyError(file(['    plan: postgresql-business-512', '    hosts: [db-1, db-2]', '    port: 31000'], []))).toMatch(
      /^databases\.yaml:12:5: add-on "shop" is highly available and needs a consensus store: declare where etcd runs/,
    );
  });

  it('refuses a consensus store of 2 members, and unknown members', () => {
    const errors = errorsOf(file(['    plan: postgresql-business-512', '    hosts: [db-1, db-2]', '    port: 31000'], ['consensus:', '  hosts: [db-1, db-9]']));
    expect(errors).toEqual([
      'databases.yaml:10:10: consensus: 2 etcd members stop electing as soon as 1 of them is lost, no better than 1; use an odd number: 3 (recommended) or 1 for a test fleet',
      'databases.yaml:10:17: host "db-9" is not declared under hosts; did you mean "db-1"? (declared: db-1, db-2, db-3)',
    ]);
  });

  it('reserves the two ports after a highly available add-on\'s own on each member', () => {
    const text = file(['    plan: postgresql-business-512', '    hosts: [db-1, db-2]', '    port: 31000', '  blog:', '    plan: postgresql-sandbox', '    host: db-2', '    port: 31002']);
    expect(onlyError(text)).toBe('databases.yaml:19:11: port 31002 on host "db-2" is already used by add-on "shop"; each add-on needs its own port on a host');
  });

  it('reserves a third port with point-in-time recovery (pgBackRest\'s TLS server in each member), not without', () => {
    const blog = ['  blog:', '    plan: postgresql-sandbox', '    host: db-2', '    port: 31003'];
    expect(onlyError(file(['    plan: postgresql-business-512', '    hosts: [db-1, db-2]', '    port: 31000', ...blog]))).toBe(
      'databases.yaml:19:11: port 31003 on host "db-2" is already used by add-on "shop"; each add-on needs its own port on a host',
    );
    expect(loadConfig(FILE, file(['    plan: postgresql-business-512', '    hosts: [db-1, db-2]', '    port: 31000', '    backups: {pitr: false}', ...blog])).addons.map((a) => a.port).sort()).toEqual([31000, 31003]);
  });

  it('refuses members and etcd on a local host: they reach each other by address', () => {
    const text = file(['    plan: postgresql-business-512', '    hosts: [db-1, db-2]', '    port: 31000'], ['consensus:', '  hosts: [db-2]']).replace(/ {2}db-2: \{.*\}/, '  db-2: {transport: local}');
    const problem = 'host "db-2" is transport: local; the members of a highly available add-on and of the consensus store reach each other by address: use SSH hosts';
    expect(errorsOf(text)).toEqual([`databases.yaml:10:11: ${problem}`, `databases.yaml:14:19: ${problem}`]);
  });
});
