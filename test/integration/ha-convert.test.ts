import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, fleetDown, fleetUp, hostsYaml, psqlOn, s3StorageYaml } from './fleet-harness.js';
import { Workspace, expectEmptyPlan } from './harness.js';

// A single-instance add-on made highly available by editing the file (`host: db-1` -> `hosts: [db-1, db-2]`,
// a business plan), on the real fleet with the fleet's S3 endpoint. dbform does not carry the instance's data
// into the cluster: the plan says it deletes the instance (DATA_LOSS) and makes the cluster, whose database and
// owner one apply makes (the instance's catalog is not taken for the cluster's); a daily backup taken before
// is then restored into the cluster, the way the README gives.

let fleet: Fleet;
const ws = new Workspace();
let env: Record<string, string>;
const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;
const ROWS = 1234;

function config(highlyAvailable: boolean): string {
  const where = highlyAvailable ? 'plan: postgresql-business-512\n    hosts: [db-1, db-2]' : 'plan: postgresql-starter-256\n    host: db-1';
  return `version: 1
hosts:
${hostsYaml(fleet)}${s3StorageYaml(fleet.s3)}defaults:
  storage: main
${highlyAvailable ? 'consensus:\n  hosts: [db-3]\n' : ''}addons:
  orders:
    ${where}
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    port: 31001
    backups:
      pitr: false # PITR is not what this file is about
`;
}

beforeAll(() => {
  fleet = fleetUp(3);
  env = { S3_ACCESS_KEY_ID: fleet.s3.accessKeyId, S3_SECRET_ACCESS_KEY: fleet.s3.secretAccessKey, NODE_NO_WARNINGS: '1' };
  ws.write(config(false));
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('a single instance made highly available', () => {
  let backupId = '';

  it('runs as a single instance with rows and a backup of them', () => {
    const applied = ws.run(['apply', '--auto-approve'], env);
    expect(applied.code, applied.stdout.slice(-2000) + applied.stderr).toBe(0);
    psqlOn(host('db-1'), 'orders', 31001, 'orders', `SET ROLE orders; CREATE TABLE kept AS SELECT g FROM generate_series(1, ${ROWS}) g`);
    const taken = ws.run(['backups', 'create', 'orders'], env);
    expect(taken.code, taken.stderr).toBe(0);
    const listed = JSON.parse(ws.run(['backups', 'list', 'orders', '--format', 'json'], env).stdout) as { backups: Array<{ id: string; status: string }> };
    backupId = listed.backups.filter((b) => b.status === 'ok').at(-1)!.id;
    expect(backupId).toMatch(/manual/);
  });

  it('plans to delete the instance with its data (DATA_LOSS) and make the cluster; refused without DATA_LOSS allowed', () => {
    ws.write(config(true));
    const planned = ws.run(['plan'], env);
    expect(planned.stdout).toMatch(/- addon\.orders\.container {2}\(delete\)\n {6}add-on orders is highly available now: its single instance gives way to the cluster's member/);
    expect(planned.stdout).toMatch(/! DATA_LOSS: the container of orders and its data directory \S+\/orders are deleted/);
    expect(planned.stdout).toMatch(/\+ addon\.orders\.patroni\.db-1 {2}\(create\)/);
    expect(planned.stdout).toMatch(/\+ addon\.orders\.patroni\.db-2 {2}\(create\)/);
    const refused = ws.run(['apply', '--auto-approve'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('DATA_LOSS');
    expect(psqlOn(host('db-1'), 'orders', 31001, 'orders', 'SELECT count(*) FROM kept')).toBe(String(ROWS));
  });

  it('one apply makes the cluster with its database and owner; the backup restores into it; plan is empty', () => {
    const t0 = Date.now();
    const applied = ws.run(['apply', '--auto-approve', '--allow-hazards', 'DATA_LOSS'], env);
    expect(applied.code, applied.stdout.slice(-2500) + applied.stderr).toBe(0);
    console.log(`single instance -> cluster: apply ${Date.now() - t0} ms`);
    // The cluster is empty, and its database and owner are there, made by that same apply.
    expect(psqlOn(host('db-1'), 'orders', 31002, 'orders', "SELECT count(*) FROM pg_tables WHERE tablename = 'kept'")).toBe('0');
    expect(psqlOn(host('db-1'), 'orders', 31002, 'postgres', "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'orders'")).toBe('orders');
    const restored = ws.run(['restore', 'orders', '--backup', backupId, '--auto-approve', '--allow-hazards', 'DATA_LOSS'], env);
    expect(restored.code, restored.stdout.slice(-2000) + restored.stderr).toBe(0);
    for (const member of ['db-1', 'db-2']) {
      expect(psqlOn(host(member), 'orders', 31002, 'orders', 'SELECT count(*) FROM kept'), member).toBe(String(ROWS));
    }
    expectEmptyPlan(ws, env);
  });
});
