import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, dockerOn, fleetDown, fleetUp, hostsYaml, psqlOn } from './fleet-harness.js';
import { Workspace, expectEmptyPlan } from './harness.js';

// A member of a highly available add-on moved to another host by editing the file (`hosts: [db-1, db-2]` ->
// `[db-1, db-3]`), on the real fleet (etcd on db-4): the new member clones the primary, the old one goes, every
// committed row is on the new member, and the add-on's URL names the new host's gateway.

let fleet: Fleet;
const ws = new Workspace();
const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;
const ROWS = 5000;

function config(members: string[]): string {
  return `version: 1
hosts:
${hostsYaml(fleet)}consensus:
  hosts: [db-4]
addons:
  orders:
    plan: postgresql-business-512
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    hosts: [${members.join(', ')}]
    port: 31001
`;
}

beforeAll(() => {
  fleet = fleetUp(4);
  ws.write(config(['db-1', 'db-2']));
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('a member moved to another host', () => {
  it('runs on db-1 and db-2 with rows', () => {
    const applied = ws.run(['apply', '--auto-approve']);
    expect(applied.code, applied.stdout.slice(-2000) + applied.stderr).toBe(0);
    psqlOn(host('db-1'), 'orders', 31002, 'orders', `SET ROLE orders; CREATE TABLE kept AS SELECT g FROM generate_series(1, ${ROWS}) g`);
    expectEmptyPlan(ws);
  });

  it('db-2 -> db-3: the plan makes the member on db-3 and removes db-2\'s; apply; every row on db-3; plan empty', () => {
    ws.write(config(['db-1', 'db-3']));
    const planned = ws.run(['plan']);
    expect(planned.stdout).toMatch(/- addon\.orders\.patroni\.db-2 {2}\(delete\)/);
    expect(planned.stdout).toMatch(/\+ addon\.orders\.patroni\.db-3 {2}\(create\)/);
    // The member staying gets the new member's address in its pg_hba (a reload) and in its certificate.
    expect(planned.stdout).toMatch(/~ addon\.orders\.patroni\.db-1 {2}\(update\)\n {6}\S+ changed: rewritten and reloaded, without a restart; certificates issued again by the fleet CA: server\.crt does not cover /);
    const t0 = Date.now();
    const applied = ws.run(['apply', '--auto-approve', '--allow-hazards', 'ACCESS_CHANGE,RESTART,DATA_LOSS']);
    expect(applied.code, applied.stdout.slice(-3000) + applied.stderr).toBe(0);
    console.log(`member moved from db-2 to db-3: apply ${Date.now() - t0} ms`);
    expect(psqlOn(host('db-3'), 'orders', 31002, 'orders', 'SELECT count(*) FROM kept')).toBe(String(ROWS));
    expect(dockerOn(host('db-2'), ['ps', '-aq', '--filter', 'name=dbform-orders'])).toBe('');
    expect(ws.urls('orders').DATABASE_URL).toContain(host('db-3').address);
    expectEmptyPlan(ws);
    // The new replica's Patroni reads its own timeline over a replication connection to localhost (verify-full):
    // its certificate names localhost and its pg_hba admits loopback, so that never fails.
    const log = spawnSync('sh', ['-c', `docker -H ${host('db-3').dockerHost} logs dbform-orders 2>&1`], { encoding: 'utf8' }).stdout;
    expect(log).toContain('replica has been created using basebackup');
    expect(log).not.toContain('Can not fetch local timeline');
  });
});
