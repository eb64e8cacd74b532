import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { gatewayPlacements, patroniPlacements } from '../../src/resources/ha/desired.js';
import { diffHaContainer } from '../../src/resources/ha/diff.js';
import { HA_LIST_COMMAND, parseHaInspect, parsePatroniMember } from '../../src/resources/ha/gather.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ONE_PRIMARY_AWK } from '../../src/resources/gateway/kind.js';
import type { ObservedHaContainer } from '../../src/resources/ha/model.js';
import { fileHashes, specHash } from '../../src/resources/ha/spec-hash.js';
import { patroniKind } from '../../src/resources/patroni/kind.js';
import { GATEWAY_STATS_SOCKET, dcsParameters } from '../../src/resources/ha/render.js';
import { postgresSettings } from '../../src/config/tiers.js';
import { undeclaredHa } from '../../src/resources/ha/undeclared.js';
import type { HostReader } from '../../src/resources/reader.js';
import { DESIRED_CTX, THREE_HOSTS_YAML } from './fixtures.js';

// The high-availability kinds on plain data: what they render, how they diff, what the plan notes say.

const YAML = `version: 1
hosts:
${THREE_HOSTS_YAML}consensus:
  hosts: [db-3]
addons:
  orders:
    plan: postgresql-business-1024
    hosts: [db-2, db-1]
    port: 31001
    tls:
      force: true
    allowedIps: [192.0.2.0/24]
`;
const config = loadConfig('databases.yaml', YAML);

describe('Patroni members', () => {
  const members = patroniPlacements(config, DESIRED_CTX);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed YAML document, read by path
  const yml = parse(members[0]!.desired.spec.files['patroni.yml']!) as Record<string, any>;

  it('places one member per host, the first of hosts preferred', () => {
    expect(members.map((m) => [m.key, m.desired.preferred])).toEqual([['orders@db-2', true], ['orders@db-1', false]]);
    expect(members[1]!.desired.preferredApi).toBe('https://10.77.0.12:31003');
  });

  it('renders the measured timing and synchronous replication that keeps accepting writes without a replica', () => {
    const dcs = yml.bootstrap.dcs;
    expect(dcs).toMatchObject({ ttl: 6, loop_wait: 1, retry_timeout: 2, synchronous_mode: true, synchronous_mode_strict: false });
    expect(dcs.loop_wait + 2 * dcs.retry_timeout).toBeLessThanOrEqual(dcs.ttl);
    expect(yml.etcd3.hosts).toEqual(['10.77.0.13:2379']);
    expect(yml.postgresql).toMatchObject({ listen: '0.0.0.0:31002', connect_address: '10.77.0.12:31002' });
    expect(yml.restapi.connect_address).toBe('10.77.0.12:31003');
    expect(yml.postgresql.parameters).toMatchObject({ ssl: 'on', shared_buffers: expect.any(String), wal_log_hints: 'on' });
  });

  it('owns pg_hba: replication and the superuser only from the members (and loopback), clients (through the gateways) over TLS when forced', () => {
    const hba: string[] = yml.postgresql.pg_hba;
    expect(hba.filter((l) => l.includes(' replication '))).toEqual([
      'hostssl replication replicator 127.0.0.1/32 scram-sha-256',
      'hostssl replication replicator 10.77.0.12/32 scram-sha-256',
      'hostssl replication replicator 10.77.0.11/32 scram-sha-256',
    ]);
    expect(yml.postgresql.basebackup).toEqual([{ checkpoint: 'fast' }]);
    expect(hba.filter((l) => l.includes(' replication '))).toEqual(hba.filter((l) => l.startsWith('hostssl replication ')));
    expect(hba).toContain('hostssl all all 10.77.0.11/32 scram-sha-256');
    expect(hba.indexOf('host all postgres all reject')).toBeGreaterThan(hba.indexOf('host all postgres 10.77.0.12/32 scram-sha-256'));
    expect(hba.at(-1)).toBe('host all all all reject');
    expect(members[0]!.desired.spec.files['patroni.yml']).not.toMatch(/^\s*password:/m);
  });

  it('names the settings only the consensus store sets: the plan\'s max_connections among them, not shared_buffers', () => {
    const dcs = dcsParameters(members[0]!.desired.spec.files['patroni.yml']!);
    expect(dcs).toEqual({ max_connections: String(postgresSettings(1024).max_connections), wal_log_hints: 'on' });
  });
});

describe('gateways', () => {
  const gateways = gatewayPlacements(config);
  const cfg = gateways[0]!.desired.spec.files['haproxy.cfg']!;

  it('route to whichever member Patroni calls the primary, and enforce allowedIps', () => {
    expect(gateways.map((g) => g.key)).toEqual(['orders@db-2', 'orders@db-1']);
    expect(cfg).toContain('  bind 0.0.0.0:31001');
    expect(cfg).toContain('  option httpchk GET /primary');
    expect(cfg).toContain('  server db-2 10.77.0.12:31002 check port 31003');
    expect(cfg).toContain('  server db-1 10.77.0.11:31002 check port 31003');
    expect(cfg).toContain('on-marked-down shutdown-sessions');
    expect(cfg).toContain('  tcp-request connection reject unless { src 127.0.0.1/32 ::1/128 10.77.0.12/32 10.77.0.11/32 192.0.2.0/24 }');
  });

  it('let every address in when allowedIps is empty', () => {
    const open = gatewayPlacements(loadConfig('databases.yaml', YAML.replace('    allowedIps: [192.0.2.0/24]\n', '')));
    expect(open[0]!.desired.spec.files['haproxy.cfg']).not.toContain('tcp-request');
  });

  it('serve their statistics on a unix socket only', () => {
    expect(cfg).toContain(`  bind unix@${GATEWAY_STATS_SOCKET} mode 600`);
  });

  describe('are ready once HAProxy routes to exactly one member (read from its statistics, as recorded on the fleet)', () => {
    const recorded = readFileSync(new URL('./fixtures/haproxy-stats.csv', import.meta.url), 'utf8');
    /** The recorded CSV with db-1's and db-2's status columns replaced. */
    const withStatus = (db1: string, db2: string) => recorded.replace(/^(primary,db-1,(?:[^,]*,){15})UP,/m, `$1${db1},`).replace(/^(primary,db-2,(?:[^,]*,){15})DOWN,/m, `$1${db2},`);
    const ready = (csv: string) => spawnSync('awk', [ONE_PRIMARY_AWK], { input: csv }).status === 0;
    it.each([
      ['UP', 'DOWN', true],
      ['UP', 'UP', false], // before its first checks HAProxy counts every server as up
      ['UP', 'UP 1/2', false],
      ['DOWN', 'DOWN', false],
      ['DOWN 1/2', 'UP', true], // coming back up: not routed to yet
      ['DOWN', 'UP', true],
    ])('db-1 %s, db-2 %s: %s', (db1, db2, expected) => {
      expect(withStatus('UP', 'DOWN')).toBe(recorded);
      expect(ready(withStatus(db1, db2))).toBe(expected);
    });
    it('not ready on an empty answer', () => expect(ready('')).toBe(false));
  });
});

const IMAGE_ID = `sha256:${'1'.repeat(64)}`;

describe('diff of a container of high availability', () => {
  const placed = gatewayPlacements(config)[0]!;
  const spec = placed.desired.spec;
  const input = { address: 'addon.orders.gateway.db-2', kind: 'gateway', stepType: 'gateway.ensure', restartHazard: { code: 'RESTART' as const, message: 'restarts' } };
  const container = (o: Partial<ObservedHaContainer>): ObservedHaContainer => ({ name: spec.name, role: 'gateway', addon: 'orders', spec: specHash(spec), running: true, status: 'running', dir: spec.dir, imageId: IMAGE_ID, tagImageId: IMAGE_ID, ...o });
  const seen = (o: Partial<ObservedHaContainer>, files: Record<string, string | null> = fileHashes(spec)) => ({ container: container(o), files });

  it('creates a missing one, remakes one started from another spec (with its hazard), starts a stopped one', () => {
    const created = diffHaContainer(placed, spec, { container: null, files: {} }, input);
    expect(created.map((c) => [c.action, c.hazards.length, c.steps[0]!.type])).toEqual([['create', 0, 'gateway.ensure']]);
    const changed = diffHaContainer(placed, spec, seen({ spec: 'f'.repeat(64) }), input);
    expect(changed.map((c) => [c.action, c.hazards.map((h) => h.code)])).toEqual([['update', ['RESTART']]]);
    const stopped = diffHaContainer(placed, spec, seen({ running: false, status: 'exited' }), input);
    expect(stopped.map((c) => [c.action, c.reason, c.hazards.length])).toEqual([['update', 'dbform-orders-gateway is exited', 0]]);
    expect(diffHaContainer(placed, spec, seen({}), input)).toEqual([]);
  });

  it('remakes one whose image name now points to a rebuilt image (a minor upgrade), with its hazard', () => {
    const rebuilt = diffHaContainer(placed, spec, seen({ tagImageId: `sha256:${'2'.repeat(64)}` }), input);
    expect(rebuilt.map((c) => [c.reason, c.before?.image_id, c.after?.image_id, c.hazards.map((h) => h.code)])).toEqual([
      [`dbform-orders-gateway runs an older build of ${spec.image} (111111111111 -> 222222222222): a minor upgrade`, '111111111111', '222222222222', ['RESTART']],
    ]);
    // An image Docker cannot name (removed since) is not a reason to restart.
    expect(diffHaContainer(placed, spec, seen({ tagImageId: null }), input)).toEqual([]);
  });

  it('reads the image each container runs and what its name points to now, from the list command', () => {
    const inspect = JSON.stringify([{ Name: '/dbform-orders', Image: IMAGE_ID, Config: { Image: 'dbform-postgresql:15', Labels: { 'dbform.ha': 'patroni', 'dbform.ha.addon': 'orders', 'dbform.ha.spec': 'abc' } },
      State: { Status: 'running', Running: true }, HostConfig: { Binds: ['/var/lib/dbform/orders:/var/lib/dbform'] } }]);
    const parsed = parseHaInspect(`${inspect}\n@@dbform-images\ndbform-postgresql:15 sha256:${'2'.repeat(64)}\n`).get('dbform-orders');
    expect(parsed).toMatchObject({ role: 'patroni', addon: 'orders', dir: '/var/lib/dbform/orders', imageId: IMAGE_ID, tagImageId: `sha256:${'2'.repeat(64)}` });
    expect(parseHaInspect('[]').size).toBe(0);
    expect(spawnSync('bash', ['-n', '-c', HA_LIST_COMMAND]).status).toBe(0);
  });

  it('remakes one whose file changed when it cannot reload it, and reloads it in place when it can', () => {
    const edited = seen({}, { 'haproxy.cfg': 'a'.repeat(64) });
    expect(diffHaContainer(placed, spec, edited, input).map((c) => [c.reason, c.steps[0]!.type, c.hazards.map((h) => h.code)])).toEqual([
      ['dbform-orders-gateway reads changed files (haproxy.cfg)', 'gateway.ensure', ['RESTART']],
    ]);
    const reloading = { ...input, reload: { stepType: 'gateway.reload' } };
    expect(diffHaContainer(placed, spec, edited, reloading).map((c) => [c.reason, c.steps[0]!.type, c.hazards.length])).toEqual([
      ['haproxy.cfg changed: rewritten and reloaded, without a restart', 'gateway.reload', 0],
    ]);
    expect(diffHaContainer(placed, spec, seen({}, { 'haproxy.cfg': null }), reloading)[0]!.before).toEqual({ files: ['haproxy.cfg (missing)'] });
  });
});

describe("a member's role and lag", () => {
  // Patroni 3.0's /cluster answer, recorded on the test fleet.
  const cluster = JSON.stringify({
    members: [
      { name: 'db-1', role: 'leader', state: 'running', api_url: 'http://10.77.0.11:31003/patroni', host: '10.77.0.11', port: 31002, timeline: 2 },
      { name: 'db-2', role: 'sync_standby', state: 'streaming', api_url: 'http://10.77.0.12:31003/patroni', host: '10.77.0.12', port: 31002, timeline: 2, lag: 3 * 1024 * 1024 + 1, pending_restart: true },
    ],
  });

  it('is read from the cluster, lag rounded up to MB so that the live state does not move with each byte', () => {
    expect(parsePatroniMember(cluster, 'db-1')).toEqual({ role: 'leader', state: 'running', lagMb: null, timeline: 2, pendingRestart: false, plainHttpApi: false });
    expect(parsePatroniMember(cluster, 'db-2')).toEqual({ role: 'sync_standby', state: 'streaming', lagMb: 4, timeline: 2, pendingRestart: true, plainHttpApi: false });
    expect(parsePatroniMember(cluster, 'db-3')).toBeNull();
    expect(parsePatroniMember('not json', 'db-1')).toBeNull();
  });

  it('is a note of the plan, and an unhealthy member a warning', () => {
    const placed = patroniPlacements(config, DESIRED_CTX)[1]!;
    const container = { name: 'dbform-orders', role: 'patroni', addon: 'orders', spec: '', running: true, status: 'running', dir: '/var/lib/dbform/orders', imageId: null, tagImageId: null };
    const replica = { container, files: {}, member: parsePatroniMember(cluster, 'db-2') };
    expect(patroniKind.notes!(placed, replica)).toEqual(['add-on orders: db-1 is the synchronous replica (streaming, lag 4 MB)']);
    expect(patroniKind.warnings!(placed, replica)).toEqual([]);
    const failed = { container, files: {}, member: { role: 'replica', state: 'start failed', lagMb: null, timeline: null, pendingRestart: false, plainHttpApi: false } };
    expect(patroniKind.warnings!(placed, failed)).toEqual(['add-on orders: member db-1 is start failed (replica)']);
  });

  it('restarts, with a switchover, a member whose settings wait for a restart; nothing for one up to date', () => {
    const placed = patroniPlacements(config, DESIRED_CTX)[1]!;
    const spec = placed.desired.spec;
    const container = { name: spec.name, role: 'patroni', addon: 'orders', spec: specHash(spec), running: true, status: 'running', dir: spec.dir, imageId: IMAGE_ID, tagImageId: IMAGE_ID };
    const member = parsePatroniMember(cluster, 'db-2')!;
    const current = { container, files: fileHashes(spec), member: { ...member, pendingRestart: false } };
    expect(patroniKind.diff(placed, current)).toEqual([]);
    const [change, ...rest] = patroniKind.diff(placed, { ...current, member });
    expect(rest).toEqual([]);
    expect(change).toMatchObject({ action: 'update', before: { pending_restart: true }, hazards: [{ code: 'FAILOVER' }] });
    expect(change!.steps).toEqual([expect.objectContaining({ type: 'patroni.ensure', member: 'db-1', spec })]);
  });
});

describe('containers of high availability the file no longer declares', () => {
  const c = (name: string, role: string, addon: string, dir: string): ObservedHaContainer => ({ name, role, addon, spec: '', running: true, status: 'running', dir, imageId: null, tagImageId: null });
  const found = new Map([
    ['dbform-orders', c('dbform-orders', 'patroni', 'orders', '/var/lib/dbform/orders')],
    ['dbform-shop', c('dbform-shop', 'patroni', 'shop', '/var/lib/dbform/shop')],
    ['dbform-other', c('dbform-other', 'patroni', 'other', '/srv/another-team/other')],
    ['dbform-shop-gateway', c('dbform-shop-gateway', 'gateway', 'shop', '/var/lib/dbform/shop/gateway')],
  ]);
  const read = { host: { name: 'db-1', transport: 'local', dataDir: '/var/lib/dbform' }, haContainers: () => Promise.resolve(found) } as unknown as HostReader;

  it('are found by role, under this config\'s data directory only', async () => {
    expect((await undeclaredHa(read, new Set(['orders@db-1']), 'patroni')).map((u) => u.key)).toEqual(['shop@db-1']);
    expect((await undeclaredHa(read, new Set(), 'gateway')).map((u) => u.key)).toEqual(['shop@db-1']);
    expect(await undeclaredHa(read, new Set(), 'etcd')).toEqual([]);
  });

  it('are deleted with their data: a member with the DATA_LOSS hazard, its cluster forgotten by the consensus store', async () => {
    const [u] = await undeclaredHa(read, new Set(['orders@db-1']), 'patroni');
    const changes = patroniKind.diff({ key: u!.key, host: u!.host, addon: u!.addon, desired: null }, { ...u!.observed, member: null });
    expect(changes.map((ch) => [ch.action, ch.address, ch.hazards.map((h) => h.code), ch.steps])).toEqual([
      ['delete', 'addon.shop.patroni.db-1', ['DATA_LOSS'], [{ type: 'patroni.remove', name: 'dbform-shop', dir: '/var/lib/dbform/shop', addon: 'shop' }]],
    ]);
  });
});
