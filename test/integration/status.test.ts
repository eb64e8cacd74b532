import { spawnSync } from 'node:child_process';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddonStatus, FleetStatus } from '../../src/status/model.js';
import { type Fleet, fleetDown, fleetUp, hostsYaml, s3StorageYaml } from './fleet-harness.js';
import { Workspace, asUser } from './harness.js';

// `dbform status`, `queries` and `metrics` on the fleet: a starter add-on with backups and PITR on db-1 (S3
// over TLS), a sandbox on db-2, read over SSH from this machine. A user's password is a canary that must
// appear in no output.

let fleet: Fleet;
const ws = new Workspace();
const CANARY_PASSWORD = 'canary-pw-7f3a91d2c4';
let env: Record<string, string>;
let appUrl = '';

function config(): string {
  return `version: 1
hosts:
${hostsYaml(fleet)}${s3StorageYaml(fleet.s3)}defaults:
  storage: main
addons:
  shop:
    plan: postgresql-starter-256
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    host: db-1
    port: 31001
    backups:
      pitr: true
    users:
      app:
        access: read-write
        passwordEnv: SHOP_APP_PASSWORD
  other:
    plan: postgresql-sandbox
    host: db-2
    port: 31001
`;
}

function statusJson(args: string[] = []): FleetStatus {
  const r = ws.run(['status', ...args, '--format', 'json'], env);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return JSON.parse(r.stdout) as FleetStatus;
}

const shopOf = (s: FleetStatus): AddonStatus => s.addons.find((a) => a.addon === 'shop')!;

beforeAll(() => {
  fleet = fleetUp(2);
  env = {
    S3_ACCESS_KEY_ID: fleet.s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: fleet.s3.secretAccessKey,
    SHOP_APP_PASSWORD: CANARY_PASSWORD,
    NODE_NO_WARNINGS: '1',
    // pgBackRest checks the storage's certificate by name: see fleet-dns.mjs.
    NODE_OPTIONS: `--import ${new URL('./fleet-dns.mjs', import.meta.url).href}`,
  };
  ws.write(config());
  const r = ws.run(['apply', '--auto-approve'], env);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const b = ws.run(['backups', 'create', 'shop'], env);
  expect(b.code, b.stdout + b.stderr).toBe(0);
  appUrl = ws.urls('shop', env).DATABASE_URL_APP!;
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('dbform status', () => {
  it('reports every figure of a starter add-on, as JSON and as text', () => {
    const s = statusJson();
    expect(Object.keys(s.hostErrors)).toEqual([]);
    expect(s.addons.map((a) => a.addon).sort()).toEqual(['other', 'shop']);
    const shop = shopOf(s);
    expect(shop).toMatchObject({ plan: 'postgresql-starter-256', host: 'db-1', state: 'running', errors: [] });
    expect(shop.serverVersion).toMatch(/^15\./);
    const m = shop.members[0]!;
    expect(m).toMatchObject({ name: 'dbform-shop', host: 'db-1', role: 'primary', state: 'running', replicationLagSeconds: null });
    expect(m.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(m.cpuSecondsTotal).toBeGreaterThan(0);
    expect(m.memory.current).toBeGreaterThan(1024 * 1024);
    expect(m.memory.peak).toBeGreaterThanOrEqual(m.memory.current!);
    expect(m.memory.free).toBe(m.memory.limit! - m.memory.current!);
    expect(m.swap.current).toBeGreaterThanOrEqual(0);
    expect(m.connections.open).toBeGreaterThanOrEqual(0);
    expect(m.connections.max).toBe(51); // postgresSettings(256): 256 / 10 + 25
    expect(m.dataSize).toBeGreaterThan(5 * 1024 * 1024);
    expect(m.diskSize).toBeGreaterThan(m.dataSize!);
    expect(m.disk.filesystemSize).toBeGreaterThan(m.disk.filesystemFree!);
    expect(m.disk.quota).toBe(2048 * 1024 * 1024); // starter-256: 2 GB
    expect(Date.parse(m.startedAt!)).toBeLessThan(Date.now());
    expect(shop.backups).toMatchObject({ count: 1, error: null });
    expect(shop.backups!.lastGood!.id).toMatch(/\S/);
    expect(shop.pitr!.error).toBeNull();
    expect(Date.parse(shop.pitr!.window!.earliest)).toBeLessThanOrEqual(Date.parse(shop.pitr!.window!.latest));
    expect(shop.drift).toEqual({ changes: 0, reasons: [], error: null });
    const other = s.addons.find((a) => a.addon === 'other')!;
    expect(other).toMatchObject({ plan: 'postgresql-sandbox', host: 'db-2', state: 'running', backups: null, pitr: null });

    const text = ws.run(['status'], env);
    expect(text.code, text.stderr).toBe(0);
    for (const label of ['dbform-shop (primary) on db-1: running', 'cpu', 'highest', 'limit', 'swap', 'connections', 'on disk', 'filesystem', 'replication', 'last backup', 'PITR window', 'drift          none']) {
      expect(text.stdout).toContain(label);
    }
    expect(text.stdout).toContain('256.0 MB limit');
  });

  it('one add-on: only it, with its memory limit equal to its plan\'s', () => {
    const s = statusJson(['shop']);
    expect(s.addons.map((a) => a.addon)).toEqual(['shop']);
    expect(shopOf(s).members[0]!.memory.limit).toBe(256 * 1024 * 1024);
  });

  it('connections grow by one when a client connects', async () => {
    const before = shopOf(statusJson(['shop'])).members[0]!.connections.open!;
    await asUser(appUrl, async () => {
      const during = shopOf(statusJson(['shop'])).members[0]!.connections.open!;
      expect(during).toBe(before + 1);
    });
  });

  it('data size grows after inserting 10 MB', async () => {
    const before = shopOf(statusJson(['shop'])).members[0]!.dataSize!;
    await asUser(appUrl, async (c) => {
      await c.query('CREATE TABLE filler (id int, payload text)');
      // 100 000 rows of 100 random-looking bytes: about 10 MB of data, 13 MB with tuple headers.
      await c.query(`INSERT INTO filler SELECT g, md5(g::text) || md5((g+1)::text) || md5((g+2)::text) || 'abcd' FROM generate_series(1, 100000) g`);
    });
    const after = shopOf(statusJson(['shop'])).members[0]!.dataSize!;
    expect(after - before).toBeGreaterThanOrEqual(10 * 1000 * 1000);
  });
});

describe('dbform queries', () => {
  it('shows a running pg_sleep(30) with its duration; an idle session only with --idle', async () => {
    const sleeper = new pg.Client({ connectionString: appUrl });
    const idle = new pg.Client({ connectionString: appUrl });
    await Promise.all([sleeper.connect(), idle.connect()]);
    try {
      const idlePid = (await idle.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const sleeping = sleeper.query('SELECT pg_sleep(30)').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 2000));
      const r = ws.run(['queries', 'shop', '--format', 'json'], env);
      expect(r.code, r.stderr).toBe(0);
      const list = (JSON.parse(r.stdout) as { sessions: Array<{ pid: number; user: string; state: string; durationSeconds: number; query: string; waitEvent: string | null }> }).sessions;
      const sleep = list.find((q) => q.query.includes('pg_sleep(30)'))!;
      expect(sleep).toMatchObject({ user: 'app', state: 'active', waitEvent: 'Timeout:PgSleep' });
      expect(sleep.durationSeconds).toBeGreaterThanOrEqual(1.5);
      expect(list.some((q) => q.pid === idlePid)).toBe(false);
      const withIdle = JSON.parse(ws.run(['queries', 'shop', '--idle', '--format', 'json'], env).stdout) as { sessions: Array<{ pid: number; state: string }> };
      expect(withIdle.sessions.find((q) => q.pid === idlePid)?.state).toBe('idle');
      const text = ws.run(['queries', 'shop'], env);
      expect(text.stdout).toMatch(/PID\s+USER\s+CLIENT\s+STATE\s+DURATION\s+WAIT\s+QUERY/);
      expect(text.stdout).toContain('SELECT pg_sleep(30)');
      await idle.query('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = $1', ['SELECT pg_sleep(30)']);
      await sleeping;
    } finally {
      await Promise.all([sleeper.end(), idle.end()]);
    }
  });
});

describe('dbform metrics', () => {
  it('parses as the Prometheus text format (two parsers, promtool\'s lint clean) and has the fleet\'s add-ons', () => {
    const r = ws.run(['metrics'], env);
    expect(r.code, r.stderr).toBe(0);
    // promtool (Debian's prometheus package) parses it and lints the names, units and HELP lines.
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: r.stdout, encoding: 'utf8' });
    expect(promtool.status, promtool.stdout + promtool.stderr).toBe(0);
    expect(promtool.stdout + promtool.stderr).toBe('');
    const families = parsePrometheusTextFormat(r.stdout);
    const family = (name: string) => families.find((f) => f.name === name)!;
    expect(family('dbform_addon_info').metrics.map((m) => m.labels!.addon).sort()).toEqual(['other', 'shop']);
    const limit = family('dbform_addon_memory_limit_bytes');
    expect(limit.type).toBe('GAUGE');
    expect(limit.metrics.find((m) => m.labels!.addon === 'shop')).toEqual({ labels: { addon: 'shop', host: 'db-1', member: 'dbform-shop' }, value: String(256 * 1024 * 1024) });
    expect(family('dbform_addon_cpu_seconds_total').type).toBe('COUNTER');
    for (const name of ['dbform_addon_memory_bytes', 'dbform_addon_connections', 'dbform_addon_data_size_bytes', 'dbform_addon_disk_usage_bytes', 'dbform_addon_last_backup_timestamp_seconds', 'dbform_addon_pitr_window_end_timestamp_seconds']) {
      expect(family(name).metrics.find((m) => m.labels!.addon === 'shop'), name).toBeDefined();
    }
    expect(family('dbform_host_up').metrics.map((m) => m.value)).toEqual(['1', '1']);
  });

  it('no output carries the canary password', () => {
    expect(ws.transcript.join('\n')).not.toContain(CANARY_PASSWORD);
  });
});
