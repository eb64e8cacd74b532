import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, fleetDown, fleetUp, hostsYaml, psqlOn, s3StorageYaml } from './fleet-harness.js';
import { Workspace, escapeRe } from './harness.js';

// The dashboard in a real headless browser (Debian's chromium driven by playwright-core), against the fleet:
// the fleet page, an add-on page whose chart gains points, the idle toggle, no secret in any response, the
// token beyond loopback, the backups list with the PITR window (a starter add-on with PITR, S3 over TLS), the
// last plan showing a drift made by hand, and the charts' history from a Prometheus server (Debian's
// prometheus) with --prometheus. Screenshots go to test-output/ (and the add-on page to docs/, for the README).

const CLI = fileURLToPath(new URL('../../bin/dbform.js', import.meta.url));
const OUT = fileURLToPath(new URL('../../test-output/', import.meta.url));
const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const CANARY_PASSWORD = 'dash-canary-pw-52e8b0';
const TOKEN = 'dashboard-token-for-the-test-4f1c2a';
let fleet: Fleet;
let backupId = '';
const ws = new Workspace();
let env: Record<string, string>;
let browser: Browser;
const started: ChildProcess[] = [];
const bodies: string[] = [];

function config(): string {
  return `version: 1\nhosts:\n${hostsYaml(fleet)}${s3StorageYaml(fleet.s3)}defaults:
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

/** Starts `dbform dashboard` and resolves with its first line, or its exit code when it stops first. */
function dashboard(args: string[], extra: Record<string, string> = {}): Promise<{ line: string } | { exit: number; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'dashboard', ...args, '-f', ws.config], { env: { ...process.env, ...ws.env, ...env, ...extra } });
  started.push(child);
  return new Promise((resolve) => {
    let out = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ line: out.split('\n')[0]! });
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ exit: code ?? 1, stderr }));
  });
}


async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { headers, redirect: 'manual' });
  const body = await r.text();
  bodies.push(body);
  return { status: r.status, body };
}

beforeAll(async () => {
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
  backupId = /Backup (\S+) finished/.exec(b.stdout)?.[1] ?? '';
  expect(backupId, b.stdout).not.toBe('');
  mkdirSync(OUT, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  for (const c of started) c.kill('SIGTERM');
  ws.cleanup([]);
  fleetDown();
});

describe('dbform dashboard', () => {
  it('fleet page, add-on page with a growing chart, idle toggle, and no secret in any response', async () => {
    const first = await dashboard(['--listen', '127.0.0.1:18484', '--interval', '2']);
    expect(first, JSON.stringify(first)).toMatchObject({ line: expect.stringContaining('http://127.0.0.1:18484/') });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('response', (r) => void r.text().then((t) => bodies.push(t), () => undefined));
    await page.goto('http://127.0.0.1:18484/');
    await page.waitForSelector('#fleet tr[data-addon="other"]');
    expect(await page.locator('#fleet tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-addon')))).toEqual(['other', 'shop']);
    expect(await page.locator('#fleet tr[data-addon="shop"]').innerText()).toMatch(new RegExp(`^shop\\s+postgresql-starter-256\\s+db-1\\s+15\\.\\d+.*\\s+running\\s+in sync\\s+${escapeRe(backupId)} \\(.+\\)$`));
    expect(await page.locator('#fleet tr[data-addon="other"]').innerText()).toMatch(/\s+off$/);
    await page.screenshot({ path: `${OUT}dashboard-fleet.png` });

    const url = `postgres://app:${encodeURIComponent(CANARY_PASSWORD)}@${fleet.hosts[0]!.address}:31001/shop`;
    const idle = new pg.Client({ connectionString: url });
    await idle.connect();
    try {
      const idlePid = (await idle.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await page.click('#fleet tr[data-addon="shop"] a');
      await page.waitForSelector('#figures tr[data-member="dbform-shop"]');
      expect(await page.locator('#figures tbody').innerText()).toMatch(/dbform-shop\s+primary\s+running/);
      expect(await page.locator('#figures tbody').innerText()).toContain('256.0 MB');
      await page.waitForSelector('#chart-cpu canvas');
      const points = async () => Number(await page.locator('#charts').getAttribute('data-points'));
      const before = await points();
      await page.waitForFunction((n) => Number(document.getElementById('charts')?.dataset.points) > n, before, { timeout: 30_000 });
      expect(await points()).toBeGreaterThan(before);
      expect(await page.locator(`#queries tr[data-pid="${idlePid}"]`).count()).toBe(0);
      await page.check('#idle-toggle');
      await page.waitForSelector(`#queries tr[data-pid="${idlePid}"][data-state="idle"]`);
      await page.uncheck('#idle-toggle');
      await page.waitForSelector(`#queries tr[data-pid="${idlePid}"]`, { state: 'detached' });
      await page.check('#idle-toggle');
      await page.waitForSelector(`#queries tr[data-pid="${idlePid}"]`);
      await page.screenshot({ path: `${OUT}dashboard-addon.png`, fullPage: true });
      await page.screenshot({ path: `${DOCS}dashboard.png`, fullPage: true });
    } finally {
      await idle.end();
    }
    const status = await get('http://127.0.0.1:18484/api/status');
    expect(JSON.parse(status.body).addons.map((a: { addon: string }) => a.addon)).toEqual(['other', 'shop']);
    const metrics = await get('http://127.0.0.1:18484/metrics');
    expect(metrics.body).toContain('dbform_addon_memory_limit_bytes{addon="shop",host="db-1",member="dbform-shop"} 268435456');
    await get('http://127.0.0.1:18484/api/queries?addon=shop&idle=1');
    expect((await fetch('http://127.0.0.1:18484/api/status', { method: 'POST' })).status).toBe(405);
    expect(bodies.length).toBeGreaterThan(5);
    expect(bodies.join('\n')).not.toContain(CANARY_PASSWORD);
  });

  it('the add-on page lists the backups with the PITR window, and the last plan shows a drift made by hand', async () => {
    // The dashboard of the first test (drift checked once a minute) keeps running.
    const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
    page.on('response', (r) => void r.text().then((t) => bodies.push(t), () => undefined));
    await page.goto('http://127.0.0.1:18484/#addon=shop');
    await page.waitForSelector(`#backups tr[data-backup="${backupId}"]`, { timeout: 60_000 });
    expect(await page.locator(`#backups tr[data-backup="${backupId}"]`).innerText()).toMatch(new RegExp(`^${escapeRe(backupId)}\\s+\\S.+\\s+\\d+(\\.\\d)? [KMG]?B\\s+manual\\s+ok`));
    expect(await page.locator('#pitr-window').innerText()).toMatch(/^Point-in-time recovery: any time from .+ to .+$/);
    expect(await page.locator('#base-backups tr[data-base-backup]').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#base-backups tbody tr').first().innerText()).toMatch(/\bfull\b/);
    const listed = JSON.parse(ws.run(['backups', 'list', 'shop', '--format', 'json'], env).stdout) as { backups: unknown[]; pitr: { window: unknown } };
    const served = await get('http://127.0.0.1:18484/api/backups?addon=shop');
    expect(served.status).toBe(200);
    // The same data as `backups list --format json` (the PITR window moves on as WAL is archived).
    expect(JSON.parse(served.body)).toMatchObject({ addon: 'shop', backups: listed.backups, pitr: { window: expect.anything() } });

    // In sync after apply: the plan table has no row; then a role attribute changed by hand.
    await page.waitForSelector('#plan-checked');
    expect(await page.locator('#plan tr[data-address]').count()).toBe(0);
    const before = await page.locator('#plan-checked').getAttribute('data-checked-at');
    psqlOn(fleet.hosts[0]!, 'shop', 31001, 'postgres', 'ALTER ROLE app CREATEDB');
    const row = page.locator('#plan tr[data-address="addon.shop.user.app"]');
    await row.waitFor({ timeout: 90_000 });
    expect(Date.parse((await page.locator('#plan-checked').getAttribute('data-checked-at'))!)).toBeGreaterThan(Date.parse(before!));
    expect(await row.getAttribute('data-action')).toBe('update');
    expect(await row.innerText()).toMatch(/createdb/i);
    // The status and the plan come from the same sample, but the page may have read the status just before it.
    await page.waitForFunction(() => document.getElementById('drift')?.textContent === '1 change(s)', undefined, { timeout: 15_000 });
    await page.screenshot({ path: `${OUT}dashboard-addon-plan.png`, fullPage: true });
    const plan = JSON.parse((await get('http://127.0.0.1:18484/api/plan')).body) as { plan: { format_version: string; changes: Array<{ address: string; action: string; steps?: unknown }> } };
    expect(plan.plan.format_version).toBe('1.0');
    expect(plan.plan.changes.find((c) => c.address === 'addon.shop.user.app')).toMatchObject({ action: 'update' });
    expect(plan.plan.changes.every((c) => c.steps === undefined)).toBe(true);
    expect(bodies.join('\n')).not.toContain(CANARY_PASSWORD);
  });

  it('beyond loopback: refuses to start without a token; with one, refuses requests without it', async () => {
    const refused = await dashboard(['--listen', '0.0.0.0:18485']);
    expect(refused).toMatchObject({ exit: 1, stderr: expect.stringContaining('needs a token: set DBFORM_DASHBOARD_TOKEN') });
    const up = await dashboard(['--listen', '0.0.0.0:18486', '--interval', '5'], { DBFORM_DASHBOARD_TOKEN: TOKEN });
    expect(up).toMatchObject({ line: expect.stringContaining('token required') });
    expect((await get('http://127.0.0.1:18486/api/status')).status).toBe(401);
    expect((await get('http://127.0.0.1:18486/metrics')).status).toBe(401);
    expect((await get('http://127.0.0.1:18486/api/status', { authorization: 'Bearer wrong-token-0000000000' })).status).toBe(401);
    expect((await get('http://127.0.0.1:18486/api/status', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:18486/?token=${TOKEN}`);
    await page.waitForSelector('#fleet tr[data-addon="shop"]');
    expect(page.url()).toBe('http://127.0.0.1:18486/');
    expect(bodies.join('\n')).not.toContain(CANARY_PASSWORD);
  });

  it('--prometheus URL: the charts come from a Prometheus server scraping /metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbform-prom-'));
    writeFileSync(join(dir, 'prometheus.yml'), "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: dbform\n    static_configs:\n      - targets: ['127.0.0.1:18484']\n");
    const prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--web.listen-address=127.0.0.1:19090'], { stdio: 'ignore' });
    started.push(prom);
    const up = await dashboard(['--listen', '127.0.0.1:18487', '--interval', '2', '--prometheus', 'http://127.0.0.1:19090'], {});
    expect(up).toMatchObject({ line: expect.stringContaining('http://127.0.0.1:18487/') });
    let history: { source: string; points: Array<{ memoryLimitBytes: number | null }> } = { source: '', points: [] };
    for (let i = 0; i < 60 && history.points.filter((p) => p.memoryLimitBytes !== null).length < 3; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const r = await get('http://127.0.0.1:18487/api/history?addon=shop');
      if (r.status === 200) history = JSON.parse(r.body) as typeof history;
    }
    expect(history.source).toBe('prometheus');
    expect(history.points.filter((p) => p.memoryLimitBytes === 268435456).length).toBeGreaterThanOrEqual(3);
    const page = await browser.newPage();
    await page.goto('http://127.0.0.1:18487/#addon=shop');
    await page.waitForFunction(() => Number(document.getElementById('charts')?.dataset.points) >= 3, undefined, { timeout: 20_000 });
    prom.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });
});
