import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_STATE, type Fleet, dockerOn, fleetDown, fleetUp, haOrdersYaml, hostsYaml, psqlOn } from './fleet-harness.js';
import { Workspace, expectEmptyPlan } from './harness.js';
import pg from 'pg';
import { postgresSettings } from '../../src/config/tiers.js';
import { connectAny, longestGapMs, parseMultiHostUrl, runWriter, type Target } from './ha-writer.js';
import { runCliAsync } from './ha-cli.js';
import { replaceInContainer, servedCertDaysLeft } from './served-cert.js';
import { haPorts } from '../../src/config/ha-check.js';
import { ETCD_CLIENT_PORT } from '../../src/resources/ha/render.js';
import { fleetCa } from '../../src/resources/tls/ca.js';
import { type CertUsage, inspectCert, issueServerCert } from '../../src/resources/tls/server-cert.js';

// A highly available business add-on on the real fleet: Patroni members on db-1 and db-2, etcd on db-3,
// a gateway (HAProxy) on each member. A writer commits one row at a time through DATABASE_URL while the
// primary's host is cut (link down, then every process of the host killed at once, as a crash does).

const REBOOT = fileURLToPath(new URL('../fleet/reboot.sh', import.meta.url));
let fleet: Fleet;
const ws = new Workspace();
const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;

let plan = 'postgresql-business-512';

const config = () => haOrdersYaml(fleet, plan);

beforeAll(() => {
  fleet = fleetUp(3);
  ws.write(config());
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('a highly available business add-on', () => {
  let target: Target;

  /** Applies (allowing `hazards`) while a writer commits one row at a time into a new table: the longest
   *  gap between its commits, and the acknowledged rows missing afterwards. */
  async function applyWithWriter(table: string, hazards: string[], what: string): Promise<{ gap: number; lost: number[] }> {
    const { client } = await connectAny(target, 1);
    await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
    await client.end();
    let stop = false;
    const writing = runWriter(target, table, () => stop);
    await new Promise((r) => setTimeout(r, 2000));
    const started = Date.now();
    const apply = await runCliAsync(ws, ['apply', '--auto-approve', '--allow-hazards', hazards.join(',')]);
    console.log(`${what} applied in ${Date.now() - started} ms`);
    await new Promise((r) => setTimeout(r, 2000));
    stop = true;
    const result = await writing;
    expect(apply.code, apply.stdout.slice(-3000) + apply.stderr).toBe(0);
    const gap = longestGapMs(result);
    const { client: after } = await connectAny(target, 0);
    const present = new Set((await after.query<{ id: number }>(`SELECT id FROM ${table}`)).rows.map((r) => r.id));
    await after.end();
    const lost = result.acked.filter((id) => !present.has(id));
    console.log(`${what}: ${result.acked.length} acknowledged, ${result.inDoubt.length} in doubt, longest gap ${gap} ms, ${lost.length} lost`);
    return { gap, lost };
  }

  it('is created by apply: a primary on the preferred host, a synchronous replica, then an empty plan', () => {
    const started = Date.now();
    const r = ws.run(['apply', '--auto-approve']);
    console.log(`apply: ${Date.now() - started} ms`);
    expect(r.code, r.stdout.slice(-2500) + r.stderr).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/Apply complete/);
    // Patroni's lag is the primary's position now less what the replica reported at its last loop (loop_wait
    // 1 s): right after the apply's CREATE DATABASE it can say a few MB for about a second.
    const replicaInSync = /Note: add-on orders: db-2 is the synchronous replica \((running|streaming), lag 0 MB\)/;
    let plan = ws.run(['plan', '--detailed-exitcode']);
    for (let i = 0; i < 10 && !replicaInSync.test(plan.stdout); i++) {
      spawnSync('sleep', ['0.5']);
      plan = ws.run(['plan', '--detailed-exitcode']);
    }
    expect(plan.stdout).toContain('No changes.');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('Note: add-on orders: db-1 is the primary (running)');
    expect(plan.stdout).toMatch(replicaInSync);
    expect(plan.stdout).toContain('Warning: the consensus store has one member (db-3)');
    expect(dockerOn(host('db-3'), ['ps', '--format', '{{.Names}}'])).toBe('dbform-etcd');
    expect(dockerOn(host('db-2'), ['ps', '--format', '{{.Names}}']).split('\n').sort()).toEqual(['dbform-orders', 'dbform-orders-gateway']);
  });

  it('gives one DATABASE_URL naming both gateways, where the owner can write', async () => {
    const url = ws.urls('orders').DATABASE_URL!;
    expect(url).toMatch(/@10\.77\.0\.11:31001,10\.77\.0\.12:31001\/orders$/);
    target = parseMultiHostUrl(url);
    const { client } = await connectAny(target);
    await client.query('CREATE TABLE t (id int PRIMARY KEY)');
    expect((await client.query<{ s: string }>("SELECT current_setting('synchronous_standby_names') AS s")).rows[0]!.s).toBe('"db-2"');
    await client.end();
  });

  it('status reports each member: the primary on db-1, the synchronous replica on db-2 with its delay, the plan\'s memory limit', () => {
    const r = ws.run(['status', 'orders', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const a = (JSON.parse(r.stdout) as { addons: Array<{ state: string; errors: string[]; members: Array<{ host: string; role: string; state: string; replicationLagSeconds: number | null; memory: { limit: number | null }; connections: { max: number | null } }> }> }).addons[0]!;
    expect(a.errors).toEqual([]);
    expect(a.state).toBe('running');
    expect(a.members.map((m) => [m.host, m.role, m.state])).toEqual([['db-1', 'primary', 'running'], ['db-2', 'replica', 'running']]);
    expect(a.members[0]!.replicationLagSeconds).toBeNull();
    expect(a.members[1]!.replicationLagSeconds).toBeGreaterThanOrEqual(0);
    expect(a.members[1]!.replicationLagSeconds).toBeLessThan(5);
    for (const m of a.members) expect(m.memory.limit).toBe(512 * 1024 * 1024);
    expect(a.members[0]!.connections.max).toBe(a.members[1]!.connections.max);
  });

  it('status and metrics show each gateway\'s CPU and memory; queries and logs --host read the member on that host', async () => {
    const r = ws.run(['status', 'orders', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    type Gateway = { name: string; host: string; state: string; cpuPercent: number | null; cpuSecondsTotal: number | null; memory: { current: number | null; peak: number | null; limit: number | null } };
    const a = (JSON.parse(r.stdout) as { addons: Array<{ gateways: Gateway[]; members: Array<{ host: string; replicationLagBytes: number | null }> }> }).addons[0]!;
    expect(a.gateways.map((g) => [g.name, g.host, g.state])).toEqual([['dbform-orders-gateway', 'db-1', 'running'], ['dbform-orders-gateway', 'db-2', 'running']]);
    for (const g of a.gateways) {
      expect(g.cpuPercent).not.toBeNull();
      expect(g.cpuSecondsTotal).toBeGreaterThan(0);
      expect(g.memory.current).toBeGreaterThan(0);
      expect(g.memory.current).toBeLessThan(256 * 1024 * 1024); // HAProxy's, not a member's
      expect(g.memory.limit).toBeNull(); // no limit is set on a gateway
    }
    expect(a.members[1]!.replicationLagBytes).toBeGreaterThanOrEqual(0);
    expect(ws.run(['status', 'orders']).stdout).toContain('dbform-orders-gateway (gateway) on db-2: running');
    const metrics = ws.run(['metrics']).stdout;
    for (const h of ['db-1', 'db-2']) expect(metrics).toMatch(new RegExp(`^dbform_addon_memory_bytes\\{addon="orders",host="${h}",member="dbform-orders-gateway",component="gateway"\\} \\d+$`, 'm'));
    expect(metrics).toMatch(/^dbform_addon_cpu_seconds_total\{addon="orders",host="db-2",member="dbform-orders-gateway",component="gateway"\} [\d.e+-]+$/m);

    // A pg_sleep on the replica member (db-2, its own PostgreSQL port there): shows with --host db-2, not
    // among the primary's sessions (the default, through the gateway).
    const sleeper = spawn('docker', ['-H', host('db-2').dockerHost, 'exec', 'dbform-orders', 'psql', '-X', '-h', '/tmp', '-p', '31002', '-U', 'postgres', '-d', 'orders', '-c', 'SELECT pg_sleep(20) AS on_the_replica'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const onReplica = ws.run(['queries', 'orders', '--host', 'db-2', '--format', 'json']);
      expect(onReplica.code, onReplica.stderr).toBe(0);
      const listed = JSON.parse(onReplica.stdout) as { host: string; instance: string; sessions: Array<{ state: string; durationSeconds: number; query: string }> };
      expect(listed).toMatchObject({ host: 'db-2', instance: 'member' });
      const sleep = listed.sessions.find((q) => q.query.includes('on_the_replica'))!;
      expect(sleep.state).toBe('active');
      expect(sleep.durationSeconds).toBeGreaterThanOrEqual(1.5);
      const onPrimary = JSON.parse(ws.run(['queries', 'orders', '--format', 'json']).stdout) as { sessions: Array<{ query: string }> };
      expect(onPrimary.sessions.some((q) => q.query.includes('on_the_replica'))).toBe(false);
    } finally {
      psqlOn(host('db-2'), 'orders', 31002, 'postgres', "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%on_the_replica%' AND pid <> pg_backend_pid()");
      sleeper.kill();
    }
    const log = ws.run(['logs', 'orders', '--host', 'db-2', '--since', '1h']);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/ready to accept read-only connections/);
  });

  it('encrypts every link with the fleet CA: Patroni\'s API is https only and changes need a client certificate, etcd refuses a client without a certificate, replication is TLS', () => {
    const CA = '/var/lib/dbform/tls/root.crt';
    /** curl in a container on a fleet host: its exit code and the HTTP status it saw (000: none). */
    const curl = (h: string, container: string, args: string[]) => {
      const r = spawnSync('docker', ['-H', host(h).dockerHost, 'exec', container, 'curl', '-s', '-m', '3', '-o', '/dev/null', '-w', '%{http_code}', ...args], { encoding: 'utf8' });
      return [r.status, r.stdout.trim()];
    };
    expect(curl('db-1', 'dbform-orders', ['--cacert', CA, 'https://10.77.0.11:31003/primary'])).toEqual([0, '200']);
    expect(curl('db-2', 'dbform-orders', ['--cacert', CA, 'https://10.77.0.11:31003/primary'])).toEqual([0, '200']);
    // Plain http gets no answer; https without the fleet CA does not verify (curl 60).
    expect(curl('db-2', 'dbform-orders', ['http://10.77.0.11:31003/primary'])[1]).toBe('000');
    expect(curl('db-2', 'dbform-orders', ['https://10.77.0.11:31003/primary'])[0]).toBe(60);
    // A change (here a harmless reload) needs a client certificate of the fleet CA: refused without one.
    const client = ['--cert', '/var/lib/dbform/tls/etcd-client.crt', '--key', '/var/lib/dbform/tls/etcd-client.key'];
    expect(curl('db-2', 'dbform-orders', ['--cacert', CA, '-X', 'POST', 'https://10.77.0.11:31003/reload'])).toEqual([0, '403']);
    expect(curl('db-2', 'dbform-orders', ['--cacert', CA, ...client, '-X', 'POST', 'https://10.77.0.11:31003/reload'])[1]).toMatch(/^20[02]$/);
    const member = ['--cert', '/var/lib/dbform/tls/member.crt', '--key', '/var/lib/dbform/tls/member.key'];
    expect(curl('db-3', 'dbform-etcd', ['--cacert', CA, ...member, 'https://10.77.0.13:2379/health'])).toEqual([0, '200']);
    const withoutCert = curl('db-3', 'dbform-etcd', ['--cacert', CA, 'https://10.77.0.13:2379/health']);
    expect(withoutCert[0]).not.toBe(0);
    expect(withoutCert[1]).toBe('000');
    expect(curl('db-3', 'dbform-etcd', ['http://10.77.0.13:2379/health'])[1]).toBe('000');
    const replication = psqlOn(host('db-1'), 'orders', 31002, 'postgres', 'SELECT r.application_name, s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)');
    expect(replication).toBe('db-2|t');
  });

  it('fails over when the primary host crashes: writes resume within 10 s, no acknowledged row is lost', async () => {
    let stop = false;
    const writerStart = Date.now();
    const writing = runWriter(target, 't', () => stop);
    await new Promise((r) => setTimeout(r, 3000));
    const cutAt = Date.now();
    // The crash: the link first (so no buffered WAL leaves afterwards), then every process of the host.
    execFileSync('ip', ['netns', 'exec', 'dbf-db-1', 'ip', 'link', 'set', 'eth0', 'down']);
    process.kill(host('db-1').pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 15_000));
    stop = true;
    const result = await writing;
    const gap = longestGapMs(result);
    const afterCut = result.ackedAt.filter((t) => t > cutAt - writerStart).length;
    console.log(`writer: ${result.acked.length} acknowledged, ${result.inDoubt.length} in doubt, longest gap ${gap} ms`);
    expect(result.acked.length).toBeGreaterThan(100);
    expect(afterCut).toBeGreaterThan(0);
    expect(gap).toBeLessThan(10_000);
    const { client, index } = await connectAny(target, 1);
    expect(index).toBe(1);
    const rows = (await client.query<{ id: number }>('SELECT id FROM t')).rows.map((r) => r.id);
    await client.end();
    const present = new Set(rows);
    const lost = result.acked.filter((id) => !present.has(id));
    console.log(`new primary holds ${rows.length} rows; acknowledged rows missing: ${lost.length}`);
    expect(lost).toEqual([]);
    // Rows it holds are acknowledged or in doubt, nothing else.
    const known = new Set([...result.acked, ...result.inDoubt]);
    expect(rows.filter((id) => !known.has(id))).toEqual([]);
  });

  it('plans with the survivor as primary and the dead host not read', () => {
    const plan = ws.run(['plan']);
    expect(plan.stdout).toContain('Note: add-on orders: db-2 is the primary');
    expect(plan.stdout + plan.stderr).toMatch(/db-1/);
    expect(plan.stdout).not.toMatch(/Note: add-on orders: db-1/);
  });

  it('takes the crashed host back as a replica once it is up again (Patroni rewinds it); apply then has nothing to do', async () => {
    execFileSync('bash', [REBOOT, 'db-1', FLEET_STATE], { stdio: ['ignore', 'ignore', 'pipe'] });
    const rebootedAt = Date.now();
    let plan = ws.run(['plan']);
    while (!/Note: add-on orders: db-1 is the (synchronous )?replica \((running|streaming)/.test(plan.stdout) && Date.now() - rebootedAt < 90_000) {
      await new Promise((r) => setTimeout(r, 2000));
      plan = ws.run(['plan']);
    }
    console.log(`old primary back as a replica ${Date.now() - rebootedAt} ms after its host's reboot`);
    expect(plan.stdout).toContain('Note: add-on orders: db-2 is the primary');
    expect(plan.stdout).toMatch(/Note: add-on orders: db-1 is the (synchronous )?replica/);
    // The rejoined member streams from the new primary over TLS too (once it has caught up to streaming).
    const streams = () => psqlOn(host('db-2'), 'orders', 31002, 'postgres', 'SELECT r.application_name, s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)');
    for (let i = 0; i < 20 && streams() === ''; i++) await new Promise((r) => setTimeout(r, 500));
    expect(streams()).toBe('db-1|t');
    const apply = ws.run(['apply', '--auto-approve']);
    expect(apply.code).toBe(0);
    const again = ws.run(['plan', '--detailed-exitcode']);
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
  });

  it('changes the plan by restarting the replica, then switching over: writes pause under 5 s, nothing acknowledged is lost', async () => {
    plan = 'postgresql-business-1024';
    ws.write(config());
    const planned = ws.run(['plan']);
    expect(planned.stdout).toContain('~ addon.orders.patroni.db-1');
    expect(planned.stdout).toContain('~ addon.orders.patroni.db-2');
    expect(planned.stdout).toContain('! FAILOVER');
    expect(planned.stdout).not.toContain('! RESTART');
    const { lost, gap } = await applyWithWriter('u', ['FAILOVER'], 'plan change');
    expect(lost).toEqual([]);
    expect(gap).toBeLessThan(5000);
    // The plan's max_connections is one of the settings Patroni takes only from etcd: it must have reached it.
    const { client } = await connectAny(target, 0);
    const maxConnections = (await client.query<{ max_connections: string }>('SHOW max_connections')).rows[0]!.max_connections;
    await client.end();
    expect(maxConnections).toBe(postgresSettings(1024).max_connections);
    for (const h of ['db-1', 'db-2']) expect(dockerOn(host(h), ['inspect', '-f', '{{.HostConfig.Memory}}', 'dbform-orders'])).toBe(String(1024 * 1024 * 1024));
    const again = ws.run(['plan', '--detailed-exitcode']);
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
  });

  it('rolls a rebuilt image (a minor upgrade) through the members with a switchover: writes pause under 5 s, nothing lost', async () => {
    // Our mirror has one 15.x: the rebuild differs by a label (as in upgrade.test.ts), on both members' hosts.
    for (const h of ['db-1', 'db-2']) {
      dockerOn(host(h), ['rm', '-f', 'ha-rebuild']);
      dockerOn(host(h), ['create', '--name', 'ha-rebuild', 'dbform-postgresql:15', 'true']);
      dockerOn(host(h), ['commit', '--change', 'LABEL dbform.rebuilt=ha-minor-upgrade-test', 'ha-rebuild', 'dbform-postgresql:15']);
      dockerOn(host(h), ['rm', 'ha-rebuild']);
    }
    const planned = ws.run(['plan']);
    expect(planned.stdout).toMatch(/dbform-orders runs an older build of dbform-postgresql:15 \([0-9a-f]{12} -> [0-9a-f]{12}\): a minor upgrade/);
    expect(planned.stdout).toContain('~ addon.orders.patroni.db-1');
    expect(planned.stdout).toContain('~ addon.orders.patroni.db-2');
    expect(planned.stdout).toContain('! FAILOVER');
    const { lost, gap } = await applyWithWriter('m', ['FAILOVER', 'RESTART'], 'minor upgrade');
    expect(lost).toEqual([]);
    expect(gap).toBeLessThan(5000);
    for (const h of ['db-1', 'db-2']) {
      const rebuilt = dockerOn(host(h), ['image', 'inspect', '-f', '{{.Id}}', 'dbform-postgresql:15']);
      expect(dockerOn(host(h), ['inspect', '-f', '{{.Image}}', 'dbform-orders'])).toBe(rebuilt);
    }
    const again = ws.run(['plan', '--detailed-exitcode']);
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
  });

  it('forces TLS on every member by a reload (no restart): the primary then refuses plaintext and accepts TLS', async () => {
    ws.write(config().replace('    port: 31001\n', '    port: 31001\n    tls:\n      force: true\n'));
    const plan = ws.run(['plan']);
    expect(plan.stdout).toContain('~ addon.orders.patroni.db-1');
    expect(plan.stdout).toContain('~ addon.orders.patroni.db-2');
    expect(plan.stdout).toContain('patroni.yml changed: rewritten and reloaded, without a restart');
    expect(plan.stdout).not.toContain('RESTART');
    const apply = ws.run(['apply', '--auto-approve', '--allow-hazards', 'ACCESS_CHANGE']);
    expect(apply.code, apply.stderr).toBe(0);
    const again = ws.run(['plan', '--detailed-exitcode']);
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
    const ca = ws.run(['output', 'orders', '--ca']).stdout;
    const gateway = { ...target, host: '10.77.0.12', port: 31001 };
    const attempt = async (ssl: pg.ClientConfig['ssl']) => {
      const c = new pg.Client({ ...gateway, ssl, connectionTimeoutMillis: 2000 });
      try {
        await c.connect();
        return (await c.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]!.ssl;
      } finally {
        await c.end().catch(() => undefined);
      }
    };
    // Patroni rewrites pg_hba.conf at its next loop (1 s) after the reload.
    const deadline = Date.now() + 10_000;
    let plaintext = await attempt(false).catch((e: Error) => e.message);
    while (typeof plaintext !== 'string' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      plaintext = await attempt(false).catch((e: Error) => e.message);
    }
    expect(plaintext).toMatch(/no encryption/);
    expect(await attempt({ ca, servername: undefined })).toBe(true);
  });

  it('renews certificates due within 30 days without a restart: the plan says so, the members and etcd then serve new ones', async () => {
    const ca = await fleetCa(ws.env.DBFORM_MASTER_KEY!);
    const issuedAgo340 = new Date(Date.now() - 340 * 86_400_000); // 25 days left
    const reissue = async (h: string, container: string, file: 'server' | 'member', usages: CertUsage[]) => {
      const current = inspectCert(dockerOn(host(h), ['exec', container, 'cat', `/var/lib/dbform/tls/${file}.crt`]), ca.publicKeyPem)!;
      const { certPem, keyPem } = await issueServerCert(ca, 'due', current.names, issuedAgo340, usages);
      replaceInContainer(host(h), container, `/var/lib/dbform/tls/${file}.key`, keyPem);
      replaceInContainer(host(h), container, `/var/lib/dbform/tls/${file}.crt`, certPem);
    };
    await reissue('db-2', 'dbform-orders', 'server', ['server']);
    await reissue('db-3', 'dbform-etcd', 'member', ['server', 'client']);
    const started = () => ['db-2', 'db-3'].map((h) => dockerOn(host(h), ['inspect', '-f', '{{.State.StartedAt}}', h === 'db-2' ? 'dbform-orders' : 'dbform-etcd']));
    const before = started();
    const plan = ws.run(['plan']);
    expect(plan.stdout).toMatch(/~ addon\.orders\.patroni\.db-2[\s\S]*server\.crt expires on/);
    expect(plan.stdout).toMatch(/~ consensus\.etcd\.db-3[\s\S]*member\.crt expires on/);
    expect(plan.stdout).not.toMatch(/FAILOVER|RESTART|addon\.orders\.patroni\.db-1/);
    const apply = ws.run(['apply', '--auto-approve']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expectEmptyPlan(ws);
    expect(started()).toEqual(before); // reloaded, not restarted
    const ports = haPorts(31001);
    // Patroni handles the SIGHUP at once; give PostgreSQL's reload a moment.
    const deadline = Date.now() + 10_000;
    const served = () => [servedCertDaysLeft(host('db-2').address, ports.api), servedCertDaysLeft(host('db-2').address, ports.postgres, 'postgres'), servedCertDaysLeft(host('db-3').address, ETCD_CLIENT_PORT)];
    let days = served();
    while (!days.every((d) => d > 360) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      days = served();
    }
    expect(days.map((d) => Math.round(d))).toEqual([365, 365, 365]);
  });

  it('deletes the members, gateways and consensus store once the add-on leaves the file', () => {
    ws.write(`version: 1\nhosts:\n${hostsYaml(fleet)}`);
    const plan = ws.run(['plan']);
    for (const address of ['addon.orders.patroni.db-1', 'addon.orders.patroni.db-2', 'addon.orders.gateway.db-1', 'addon.orders.gateway.db-2', 'consensus.etcd.db-3']) {
      expect(plan.stdout).toContain(`- ${address}`);
    }
    expect(plan.stdout).toContain('DATA_LOSS');
    const apply = ws.run(['apply', '--auto-approve', '--allow-hazards', 'DATA_LOSS']);
    expect(apply.code, apply.stderr).toBe(0);
    for (const h of ['db-1', 'db-2', 'db-3']) expect(dockerOn(host(h), ['ps', '-a', '--format', '{{.Names}}'])).toBe('');
    const again = ws.run(['plan', '--detailed-exitcode']);
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
  });
});
