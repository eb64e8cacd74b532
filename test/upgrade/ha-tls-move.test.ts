import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, fleetDown, fleetUp, haOrdersYaml, psqlOn } from '../integration/fleet-harness.js';
import { Workspace } from '../integration/harness.js';
import { connectAny, longestGapMs, parseMultiHostUrl, runWriter } from '../integration/ha-writer.js';
import { runCliAsync } from '../integration/ha-cli.js';

// An upgrade path, not part of the test suite (`npm test` runs the unit and integration projects): a highly
// available add-on made by a dbform that did not encrypt its links (Patroni's API and etcd in plain http,
// replication without TLS) is moved to TLS by apply, with a writer running. That dbform is a build of an
// older commit, which bench/ha-tls-move.sh makes and names in DBFORM_PRE_TLS_CLI (its bin/dbform.js).

const OLD_CLI = process.env.DBFORM_PRE_TLS_CLI;
if (!OLD_CLI) throw new Error('DBFORM_PRE_TLS_CLI must name the bin/dbform.js of a dbform before TLS: run bench/ha-tls-move.sh');
let fleet: Fleet;
const ws = new Workspace();
const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;

const config = () => haOrdersYaml(fleet);

describe('a highly available add-on made before its links were encrypted', () => {
  beforeAll(() => {
    fleet = fleetUp(3);
    ws.write(config());
  });

  afterAll(() => {
    ws.cleanup([]);
    fleetDown();
  });

  it('is moved to TLS by apply: the plan says what it costs, no acknowledged row is lost, then every link is TLS', async () => {
    const oldApply = () => spawnSync(process.execPath, [OLD_CLI, 'apply', '--auto-approve', '-f', ws.config], { env: { ...process.env, ...ws.env }, encoding: 'utf8', timeout: 240_000 });
    // Once more if it failed: that dbform's gateway could be called ready while it still routed to the replica.
    let old = oldApply();
    if (old.status !== 0) old = oldApply();
    expect(old.status, old.stdout.slice(-2000) + old.stderr).toBe(0);
    // That dbform's members answer plain http (its replication already used TLS, unverified: libpq's sslmode=prefer).
    const plainApi = () => spawnSync('docker', ['-H', host('db-1').dockerHost, 'exec', 'dbform-orders', 'curl', '-s', '-m', '3', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.77.0.11:31003/primary'], { encoding: 'utf8' }).stdout;
    expect(plainApi()).toBe('200');

    const plan = ws.run(['plan']);
    console.log(plan.stdout.split('\n').filter((l) => /^\s+[~+-] |! [A-Z_]+:|^Plan:/.test(l)).join('\n'));
    expect(plan.stdout).toMatch(/~ consensus\.etcd\.db-3[\s\S]*moves to TLS/);
    expect(plan.stdout).toContain('~ addon.orders.patroni.db-1');
    expect(plan.stdout).toContain('~ addon.orders.patroni.db-2');
    expect(plan.stdout).toMatch(/! FAILOVER: PostgreSQL of orders on db-1 restarts to move its REST API, its link to the consensus store and replication to TLS/);

    const target = parseMultiHostUrl(ws.urls('orders').DATABASE_URL!);
    const { client } = await connectAny(target, 1);
    await client.query('CREATE TABLE moved (id int PRIMARY KEY)');
    await client.end();
    let stop = false;
    const writing = runWriter(target, 'moved', () => stop);
    await new Promise((r) => setTimeout(r, 2000));
    const started = Date.now();
    const apply = await runCliAsync(ws, ['apply', '--auto-approve', '--allow-hazards', 'FAILOVER,RESTART']);
    console.log(`moved to TLS in ${Date.now() - started} ms`);
    await new Promise((r) => setTimeout(r, 3000));
    stop = true;
    const result = await writing;
    expect(apply.code, apply.stdout.slice(-3000) + apply.stderr).toBe(0);
    const { client: after } = await connectAny(target, 1);
    const present = new Set((await after.query<{ id: number }>('SELECT id FROM moved')).rows.map((r) => r.id));
    await after.end();
    const lost = result.acked.filter((id) => !present.has(id));
    console.log(`move to TLS: ${result.acked.length} acknowledged, ${result.inDoubt.length} in doubt, longest gap ${longestGapMs(result)} ms, ${lost.length} lost`);
    expect(lost).toEqual([]);

    const again = ws.run(['plan', '--detailed-exitcode']);
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
    const primary = (ws.run(['plan']).stdout.match(/Note: add-on orders: (db-\d) is the primary/))?.[1];
    const replica = primary === 'db-1' ? 'db-2' : 'db-1';
    expect(psqlOn(host(primary!), 'orders', 31002, 'postgres', 'SELECT r.application_name, s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)')).toBe(`${replica}|t`);
    expect(plainApi()).toBe('000');
  });
});
