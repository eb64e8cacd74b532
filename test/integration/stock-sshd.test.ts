import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_STATE, type Fleet, dockerOn, fleetDown, fleetUp, hostsYaml } from './fleet-harness.js';
import { Workspace } from './harness.js';

// A host with Debian's stock sshd allows 10 sessions per connection (MaxSessions). dbform gathers and
// applies many add-ons of a host in parallel over one connection: it must queue its commands instead of
// being refused ("Channel open failure") and losing the whole host.

const ADDONS = 30;
// Per sandbox add-on: its container, owner user, database, grants and disk-full guard.
const RESOURCES_PER_ADDON = 5;
let fleet: Fleet;
const ws = new Workspace();

function config(): string {
  const addons = Array.from(
    { length: ADDONS },
    (_, i) => `  app-${String(i + 1).padStart(2, '0')}:\n    plan: postgresql-sandbox\n    host: db-1\n    port: ${32001 + i}\n`,
  ).join('');
  return `version: 1\nhosts:\n${hostsYaml(fleet)}addons:\n${addons}`;
}

beforeAll(() => {
  fleet = fleetUp(1);
  ws.write(config());
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe(`${ADDONS} add-ons on one host with a stock sshd`, () => {
  it('the host runs sshd with the stock session limit', () => {
    const r = spawnSync('ssh', ['-F', `${FLEET_STATE}/ssh_config`, 'db-1', '/usr/sbin/sshd', '-T'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^maxsessions 10$/m);
  });

  it('plans, applies, and then plans nothing', () => {
    const plan = ws.run(['plan', '--detailed-exitcode']);
    expect(plan.stderr).not.toContain('Channel open failure');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain(`Plan: ${ADDONS * RESOURCES_PER_ADDON} to add`);

    const apply = ws.run(['apply', '--auto-approve']);
    expect(apply.stdout + apply.stderr).not.toContain('Channel open failure');
    expect(apply.stdout).toMatch(new RegExp(`Apply complete: ${ADDONS * RESOURCES_PER_ADDON} changes`));
    expect(apply.code).toBe(0);
    expect(dockerOn(fleet.hosts[0]!, ['ps', '-q']).split('\n')).toHaveLength(ADDONS);

    const again = ws.run(['plan', '--detailed-exitcode']);
    expect(again.stdout).toContain('No changes. The live state matches');
    expect(again.code).toBe(0);
  });
});
