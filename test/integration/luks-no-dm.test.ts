import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, dockerOn, fleetDown, fleetUp, hostsYaml } from './fleet-harness.js';
import { Workspace } from './harness.js';

// A host without dm-crypt (the network-namespace fleet: this machine's kernel has no device-mapper) and an
// add-on that asks for encryption at rest: a clear error naming the host, the add-on and what to do, at
// plan time, and nothing made on the host; never an unencrypted fallback.

let fleet: Fleet;
const ws = new Workspace();

beforeAll(() => {
  fleet = fleetUp(1);
  ws.write(`version: 1
hosts:
${hostsYaml(fleet)}addons:
  vault:
    plan: postgresql-sandbox
    port: 31201
    encryptionAtRest: true
`);
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('encryption at rest on a host without dm-crypt', () => {
  const message = 'Error: host db-1: add-on vault: encryptionAtRest needs dm-crypt, and this host has no device-mapper in its kernel';

  it('plan says so, naming the host, the add-on and the way out', () => {
    const plan = ws.run(['plan', '--detailed-exitcode']);
    expect(plan.stdout + plan.stderr).toContain(message);
    expect(plan.stdout + plan.stderr).toContain('set `encryptionAtRest: false` for vault');
    expect(plan.code).toBe(1);
  });

  it('apply makes nothing on the host: no container', () => {
    const apply = ws.run(['apply', '--auto-approve']);
    expect(apply.stdout + apply.stderr).toContain(`host db-1: not applied: ${message.replace('Error: host db-1: ', '')}`);
    expect(apply.code).not.toBe(0);
    expect(dockerOn(fleet.hosts[0]!, ['ps', '-aq'])).toBe('');
  });
});
