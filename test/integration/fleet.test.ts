import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, acceptedLogins, dockerOn, fleetDown, fleetUp, hostsYaml, psqlOn } from './fleet-harness.js';
import { Workspace, asUser, escapeRe, expectEmptyPlan } from './harness.js';

// Three real SSH hosts (network namespaces with their own sshd and Docker engine). db-3 is reached as
// a non-root user with sudo. SQL goes through the SSH connections: no database port is used directly.

const CLI = fileURLToPath(new URL('../../bin/dbform.js', import.meta.url));
let fleet: Fleet;
const ws = new Workspace();

function addonsYaml(extraUsersOnGamma = 0): string {
  const spread: Array<[string, string, number]> = [['alpha', 'db-1', 31001], ['beta', 'db-2', 31001], ['gamma', 'db-3', 31001], ['delta', 'db-1', 31002]];
  return spread
    .map(([name, host, port]) => {
      const extra = name === 'gamma' ? Array.from({ length: extraUsersOnGamma }, (_, i) => `      extra-${i}:\n        access: read-only\n`).join('') : '';
      return `  ${name}:\n    plan: postgresql-sandbox\n    host: ${host}\n    port: ${port}\n    users:\n      reader:\n        access: read-only\n${extra}`;
    })
    .join('');
}

function config(opts: { extraUsersOnGamma?: number; gammaPlan?: string; overrides?: Parameters<typeof hostsYaml>[1] } = {}): string {
  let addons = addonsYaml(opts.extraUsersOnGamma);
  // encryptionAtRest: false: the test fleet (network namespaces) has no device-mapper for LUKS.
  if (opts.gammaPlan) addons = addons.replace(/( {2}gamma:\n {4}plan: )postgresql-sandbox/, `$1${opts.gammaPlan}\n    encryptionAtRest: false`);
  return `version: 1\nhosts:\n${hostsYaml(fleet, opts.overrides)}addons:\n${addons}`;
}

const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;

beforeAll(() => {
  fleet = fleetUp(3);
  const nonRoot = fleet.nonRootUser;
  fleet.hosts = fleet.hosts.map((h) => (h.name === 'db-3' ? { ...h, user: nonRoot } : h));
  ws.write(config());
  const r = ws.run(['apply', '--auto-approve']);
  // Per add-on: container, two users, database, two grants, disk-full guard.
  expect(r.stdout).toMatch(/Apply complete: 28 changes/);
  expect(r.code).toBe(0);
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('a fleet of three SSH hosts', () => {
  it('puts each add-on on its host, and a second apply changes nothing', () => {
    expect(dockerOn(host('db-1'), ['ps', '--format', '{{.Names}}']).split('\n').sort()).toEqual(['dbform-alpha', 'dbform-delta']);
    expect(dockerOn(host('db-2'), ['ps', '--format', '{{.Names}}'])).toBe('dbform-beta');
    expect(dockerOn(host('db-3'), ['ps', '--format', '{{.Names}}'])).toBe('dbform-gamma');
    const again = ws.run(['apply', '--auto-approve']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes.');
    expectEmptyPlan(ws);
  });

  it('clients reach an add-on at its host address with the URL dbform prints', async () => {
    const urls = ws.urls('beta');
    // The fleet's own address of db-2 (either lane's fleet); the password is masked before it could show in a failure.
    expect(urls.DATABASE_URL!.replace(/:[^:@/]+@/, ':***@')).toBe(`postgres://beta:***@${host('db-2').address}:31001/beta`);
    await asUser(urls.DATABASE_URL!, async (c) => {
      await c.query('CREATE TABLE t (x int)');
    });
    await asUser(urls.DATABASE_URL_READER!, async (c) => {
      expect((await c.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 0 }]);
    });
  });

  it('finds drift made by hand on one host and repairs it', () => {
    psqlOn(host('db-2'), 'beta', 31001, 'postgres', 'ALTER ROLE reader SUPERUSER');
    psqlOn(host('db-2'), 'beta', 31001, 'beta', 'REVOKE SELECT ON t FROM reader');
    const plan = ws.run(['plan', '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('~ addon.beta.user.reader');
    expect(plan.stdout).toContain('~ addon.beta.grants.reader');
    expect(plan.stdout).toMatch(/Plan: 0 to add, 2 to change, 0 to destroy/);
    expect(ws.run(['apply', '--auto-approve']).code).toBe(0);
    expect(psqlOn(host('db-2'), 'beta', 31001, 'postgres', `SELECT rolsuper FROM pg_roles WHERE rolname = 'reader'`)).toBe('f');
    expectEmptyPlan(ws);
  });

  it('a swapped host key aborts before anything is sent to the host', () => {
    const before = acceptedLogins(host('db-1'));
    ws.write(config({ overrides: { 'db-1': { hostKey: host('db-2').hostKey } } }));
    const r = ws.run(['plan']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`host db-1: host key of ${escapeRe(host('db-1').address)}:22 does not match the pinned hostKey: expected ssh-ed25519 SHA256:\\S+, got ssh-ed25519 SHA256:\\S+`));
    expect(acceptedLogins(host('db-1'))).toBe(before); // no authentication, so no command, ever reached db-1
    ws.write(config());
    expectEmptyPlan(ws);
  });

  it('a bad file is rejected with its line and column, and no host is contacted', () => {
    const logins = fleet.hosts.map(acceptedLogins);
    const good = config();
    const bad: Array<[string, RegExp]> = [
      [good.replace('    port: 31002\n', '    port: 31002\n    colour: blue\n'), /databases\.yaml:\d+:5: .*colour/],
      [good.replace('  delta:\n    plan: postgresql-sandbox\n    host: db-1\n    port: 31002', '  delta:\n    plan: postgresql-sandbox\n    host: db-1\n    port: 31001'), /databases\.yaml:\d+:\d+: .*31001/],
      [good.replace('    host: db-2\n', '    host: db-9\n'), /databases\.yaml:\d+:11: .*db-9/],
      [good.replace('  beta:\n    plan: postgresql-sandbox', '  beta:\n    plan: postgresql-starter-999'), /databases\.yaml:\d+:11: .*postgresql-starter-999/],
      [good + '  alpha:\n    plan: postgresql-sandbox\n    host: db-1\n    port: 31009\n', /databases\.yaml:\d+:3: .*alpha/i],
    ];
    for (const [yaml, message] of bad) {
      ws.write(yaml);
      for (const command of [['validate'], ['plan'], ['apply', '--auto-approve']]) {
        const r = ws.run(command);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(message);
      }
    }
    expect(fleet.hosts.map(acceptedLogins)).toEqual(logins);
    ws.write(good);
    expectEmptyPlan(ws);
  });

  it('two concurrent applies: the second fails naming the holder; a SIGKILLed holder leaves no stale lock', async () => {
    ws.write(config({ extraUsersOnGamma: 30, gammaPlan: 'postgresql-starter-512' }));
    const holder = spawn(process.execPath, [CLI, 'apply', '--auto-approve', '--allow-hazards', 'RESTART', '-f', ws.config], {
      env: { ...process.env, ...ws.env },
    });
    let holderOut = '';
    const reached = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => (pattern.test(holderOut) ? resolve() : undefined);
        holder.stdout.on('data', (d: Buffer) => {
          holderOut += d.toString();
          check();
        });
        holder.on('exit', () => reject(new Error(`holder exited before ${pattern}: ${holderOut}`)));
      });
    await reached(/addon\.gamma\.container: updating/); // restarting gamma: the lock on db-3 is held

    const second = ws.run(['apply', '--auto-approve', '--allow-hazards', 'RESTART']);
    expect(second.code).toBe(1);
    expect(second.stdout + second.stderr).toMatch(/host db-3 is locked by another apply: user \S+ on \S+, started \d{4}-\d\d-\d\dT[\d:.]+Z, run [0-9a-f]{8}/);

    await reached(/addon\.gamma\.user\.extra-\d+: done/); // mid-way through the users
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('close', r));

    const next = ws.run(['apply', '--auto-approve', '--allow-hazards', 'RESTART']); // --lock-timeout 0: fails at once if locked
    expect(next.stdout + next.stderr).not.toContain('locked');
    expect(next.code, next.stdout.slice(-3000) + next.stderr).toBe(0);
    expect(next.stdout).toMatch(/addon\.gamma\.user\.extra-29: (creating|done)/);
    expectEmptyPlan(ws);
    expect(psqlOn(host('db-3'), 'gamma', 31001, 'postgres', `SELECT count(*) FROM pg_roles WHERE rolname LIKE 'extra-%'`)).toBe('30');
  });

  it('a host that is down: the others are applied, the exit code is 1, and the summary names it', () => {
    process.kill(host('db-3').pid, 'SIGKILL'); // the host's PID 1: sshd, dockerd and PostgreSQL die with it
    ws.write(config({ extraUsersOnGamma: 30, gammaPlan: 'postgresql-starter-512' }).replace(/( {2}(alpha|beta):\n(?:.*\n)*? {4}users:\n)/g, '$1      late:\n        access: read-write\n'));
    const r = ws.run(['apply', '--auto-approve']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/host db-1: \d+ applied, 0 failed/);
    expect(r.stdout).toMatch(/host db-2: \d+ applied, 0 failed/);
    expect(r.stdout).toMatch(new RegExp(`host db-3: not applied: ${escapeRe(host('db-3').address)} does not answer on port 22 \\(.*\\): is the host up and its sshd running\\?`));
    expect(psqlOn(host('db-1'), 'alpha', 31001, 'postgres', `SELECT count(*) FROM pg_roles WHERE rolname = 'late'`)).toBe('1');
    expect(psqlOn(host('db-2'), 'beta', 31001, 'postgres', `SELECT count(*) FROM pg_roles WHERE rolname = 'late'`)).toBe('1');
  });
});
