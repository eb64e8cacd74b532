import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, dockerOn, fleetDown, fleetUp, hostsYaml } from './fleet-harness.js';
import { Workspace } from './harness.js';
import { connectAny, parseMultiHostUrl, runWriter } from './ha-writer.js';

// The negative control of ha-failover.test.ts: the same crash with asynchronous replication (switched by
// hand with patronictl) and replication held back for a second before it (a drop rule on the replica's
// side). Acknowledged rows must go missing here, or the failover test could not see a loss at all.

let fleet: Fleet;
const ws = new Workspace();
const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;

beforeAll(() => {
  fleet = fleetUp(3);
  ws.write(`version: 1\nhosts:\n${hostsYaml(fleet)}consensus:\n  hosts: [db-3]\naddons:\n  orders:\n    plan: postgresql-business-512\n    hosts: [db-1, db-2]\n    port: 31001\n`);
  const r = ws.run(['apply', '--auto-approve']);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('asynchronous replication, with lag, on a host crash (negative control)', () => {
  it('loses acknowledged rows', async () => {
    const target = parseMultiHostUrl(ws.urls('orders').DATABASE_URL!);
    const { client } = await connectAny(target);
    await client.query('CREATE TABLE t (id int PRIMARY KEY)');
    dockerOn(host('db-1'), ['exec', 'dbform-orders', 'timeout', '20', 'patronictl', '-c', '/var/lib/dbform/patroni.yml', 'edit-config', '--force', '-s', 'synchronous_mode=false']);
    const deadline = Date.now() + 20_000;
    while ((await client.query<{ s: string }>("SELECT current_setting('synchronous_standby_names') AS s")).rows[0]!.s !== '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect((await client.query<{ s: string }>("SELECT current_setting('synchronous_standby_names') AS s")).rows[0]!.s).toBe('');
    await client.end();

    let stop = false;
    const writing = runWriter(target, 't', () => stop);
    await new Promise((r) => setTimeout(r, 2000));
    // Replication held back on the replica's side, then the primary's host crashes a second later.
    execFileSync('ip', ['netns', 'exec', 'dbf-db-2', 'iptables', '-A', 'INPUT', '-s', host('db-1').address, '-p', 'tcp', '--sport', '31002', '-j', 'DROP']);
    await new Promise((r) => setTimeout(r, 1000));
    execFileSync('ip', ['netns', 'exec', 'dbf-db-1', 'ip', 'link', 'set', 'eth0', 'down']);
    process.kill(host('db-1').pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 15_000));
    stop = true;
    const result = await writing;
    const { client: after } = await connectAny(target, 1);
    const present = new Set((await after.query<{ id: number }>('SELECT id FROM t')).rows.map((r) => r.id));
    await after.end();
    const lost = result.acked.filter((id) => !present.has(id)).length;
    console.log(`negative control: ${result.acked.length} acknowledged, ${lost} of them lost`);
    expect(lost).toBeGreaterThan(0);
  });
});
