import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sampler } from '../../src/dashboard/sampler.js';
import { dashboardServer } from '../../src/dashboard/server.js';
import type { Plan } from '../../src/plan/types.js';
import type { FleetStatus } from '../../src/status/model.js';
import { registerSecret } from '../../src/util/redact.js';

// The dashboard's HTTP server on loopback, over a sampler fed plain data: routes, read-only, redaction.

const SECRET = 'registered-secret-91c0';
const status = (n: number): FleetStatus => ({
  formatVersion: 1,
  at: new Date(Date.UTC(2026, 10, 30, 12, 0, n)).toISOString(),
  hostErrors: { 'db-2': `cannot connect: password ${SECRET} refused` },
  addons: [
    {
      addon: 'shop', plan: 'postgresql-sandbox', host: 'db-1', version: '15', serverVersion: '15.10', state: 'running', backups: null, pitr: null, drift: null, errors: [], gateways: [],
      members: [{
        name: 'dbform-shop', host: 'db-1', role: 'primary', state: 'running', startedAt: null, cpuPercent: n, cpuSecondsTotal: 1,
        memory: { current: 100, peak: 200, limit: 268435456, free: 268435356 }, swap: { current: 0, limit: null }, connections: { open: 1, max: 51 },
        dataSize: 10, diskSize: 20, disk: { quota: null, filesystemSize: null, filesystemFree: null }, diskGuard: null, replicationLagSeconds: null, replicationLagBytes: null, readReplica: false,
      }],
    },
  ],
});

// The drift check's plan: one change (whose step refers to a password by name only), a registered secret in a
// warning, which must come out redacted.
const plan = (n: number): Plan => ({
  formatVersion: 1,
  config: { file: 'dbform.yaml', sha256: 'abc' },
  observedFingerprint: `fp-${n}`,
  changes: [{
    address: 'addon.shop.user.app', kind: 'user', host: 'db-1', addon: 'shop', action: 'update', reason: 'createdb true -> false',
    before: { createdb: true }, after: { createdb: false }, hazards: [{ code: 'ACCESS_CHANGE', message: 'app loses CREATEDB' }],
    steps: [{ type: 'user.alter', password: { source: 'env', name: 'SHOP_APP_PASSWORD' } }],
  }],
  warnings: [`storage answered: key ${SECRET} refused`],
  hostsNotRead: [],
  instances: {},
});

let n = 0;
let checks = 0;
// Drift is checked on the first sample only (every 60 s): later samples carry no plan, and the first one stays.
const sampler = new Sampler(async (drift) => ({ status: status(n++), plan: drift ? { checkedAt: new Date(Date.UTC(2026, 10, 30, 12)).toISOString(), plan: plan(checks++), error: null } : null }), 0.05, 0.2, 60);
const server = dashboardServer({
  policy: { listen: { host: '127.0.0.1', port: 0 }, loopback: true, token: null },
  sampler,
  queries: async (_addon, idle) => (idle ? [{ pid: 7, user: 'app', database: 'shop', client: null, application: '', state: 'idle', durationSeconds: 3, waitEvent: null, query: 'SELECT 1' }] : []),
  backups: async (addon) => ({ addon, backups: [{ id: 'b1', kind: 'logical', status: 'ok', started_at: '2026-11-30T11:00:00Z', size: 42, verified: false }], pitr: null }),
  webDir: new URL('../../src/dashboard/web/', import.meta.url),
});
let base = '';

beforeAll(async () => {
  registerSecret(SECRET);
  await sampler.start();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  sampler.stop();
  server.close();
});

describe('dashboard server', () => {
  it('/api/status is the latest sample, as status --format json prints it; secrets redacted', async () => {
    const r = await fetch(`${base}/api/status`);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = await r.text();
    expect(body).not.toContain(SECRET);
    expect(JSON.parse(body)).toMatchObject({ formatVersion: 1, addons: [{ addon: 'shop' }], hostErrors: { 'db-2': 'cannot connect: password *** refused' } });
  });

  it('/api/history keeps a bounded number of points (span / interval)', async () => {
    await new Promise((r) => setTimeout(r, 500));
    const h = (await (await fetch(`${base}/api/history?addon=shop`)).json()) as { capacity: number; points: unknown[] };
    expect(h.capacity).toBe(4);
    expect(h.points.length).toBe(4);
    expect((await fetch(`${base}/api/history?addon=nope`)).status).toBe(404);
  });

  it('/api/queries with and without idle sessions; /metrics; the page', async () => {
    expect(((await (await fetch(`${base}/api/queries?addon=shop`)).json()) as { sessions: unknown[] }).sessions).toEqual([]);
    expect(((await (await fetch(`${base}/api/queries?addon=shop&idle=1`)).json()) as { sessions: Array<{ pid: number }> }).sessions[0]!.pid).toBe(7);
    const m = await fetch(`${base}/metrics`);
    expect(m.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    expect(await m.text()).toContain('dbform_addon_memory_limit_bytes{addon="shop",host="db-1",member="dbform-shop"} 268435456');
    const page = await fetch(`${base}/`);
    expect(await page.text()).toContain('<script src="/app.js"></script>');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('/api/plan is the last drift check\'s plan as plan --format json renders it, without steps, secrets redacted', async () => {
    await new Promise((r) => setTimeout(r, 200));
    const r = await fetch(`${base}/api/plan`);
    const body = await r.text();
    expect(body).not.toContain(SECRET);
    expect(body).not.toContain('SHOP_APP_PASSWORD');
    const p = JSON.parse(body) as { checkedAt: string; error: null; plan: { format_version: string; observed_fingerprint: string; changes: Array<Record<string, unknown>>; warnings: string[] } };
    expect(p).toMatchObject({ checkedAt: '2026-11-30T12:00:00.000Z', error: null, plan: { format_version: '1.0', observed_fingerprint: 'fp-0', warnings: ['storage answered: key *** refused'] } });
    expect(p.plan.changes).toEqual([{
      address: 'addon.shop.user.app', kind: 'user', host: 'db-1', addon: 'shop', action: 'update', reason: 'createdb true -> false',
      before: { createdb: true }, after: { createdb: false }, hazards: [{ code: 'ACCESS_CHANGE', message: 'app loses CREATEDB' }],
    }]);
    expect(checks).toBe(1);
  });

  it('/api/backups is what backups list --format json prints; unknown add-ons are 404', async () => {
    expect(await (await fetch(`${base}/api/backups?addon=shop`)).json()).toMatchObject({ addon: 'shop', backups: [{ id: 'b1', size: 42 }], pitr: null });
    expect((await fetch(`${base}/api/backups?addon=nope`)).status).toBe(404);
  });

  it('is read-only and answers only to loopback host names', async () => {
    expect((await fetch(`${base}/api/status`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/api/status`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const rebound = await new Promise<number>((resolve, reject) => {
      request(`${base}/api/status`, { headers: { host: 'evil.example' } }, (res) => resolve(res.statusCode ?? 0)).on('error', reject).end();
    });
    expect(rebound).toBe(403);
  });
});
