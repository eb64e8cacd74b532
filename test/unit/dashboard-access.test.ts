import { describe, expect, it } from 'vitest';
import { accessPolicy, authorize, isLoopback, parseListen } from '../../src/dashboard/access.js';
import { History } from '../../src/dashboard/history.js';
import type { FleetStatus } from '../../src/status/model.js';

// Who may use the dashboard, and the bounded history it charts: plain data.

const TOKEN = 'a-long-dashboard-token-0123456789';

describe('listen address and policy', () => {
  it('parses ADDR:PORT, IPv6 in brackets', () => {
    expect(parseListen('127.0.0.1:8484')).toEqual({ host: '127.0.0.1', port: 8484 });
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(() => parseListen('8484')).toThrow(/--listen must be ADDRESS:PORT/);
    expect(() => parseListen('0.0.0.0:70000')).toThrow(/--listen/);
  });

  it('loopback: 127.0.0.0/8, ::1, localhost', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.77.0.1', '::', 'example.test'].some(isLoopback)).toBe(false);
  });

  it('beyond loopback needs a token of 16 characters or more; loopback takes one if set', () => {
    expect(() => accessPolicy('0.0.0.0:8484', {})).toThrow(/needs a token: set DBFORM_DASHBOARD_TOKEN/);
    expect(() => accessPolicy('0.0.0.0:8484', { DBFORM_DASHBOARD_TOKEN: 'short' })).toThrow(/at least 16/);
    expect(accessPolicy('0.0.0.0:8484', { DBFORM_DASHBOARD_TOKEN: TOKEN })).toEqual({ listen: { host: '0.0.0.0', port: 8484 }, loopback: false, token: TOKEN });
    expect(accessPolicy('127.0.0.1:8484', {}).token).toBeNull();
  });
});

describe('authorize', () => {
  const open = accessPolicy('127.0.0.1:8484', {});
  const guarded = accessPolicy('0.0.0.0:8484', { DBFORM_DASHBOARD_TOKEN: TOKEN });

  it('loopback without a token: only requests naming a loopback host (no DNS rebinding)', () => {
    expect(authorize(open, { url: '/', headers: { host: '127.0.0.1:8484' } })).toEqual({ kind: 'ok' });
    expect(authorize(open, { url: '/', headers: { host: 'localhost:8484' } })).toEqual({ kind: 'ok' });
    expect(authorize(open, { url: '/', headers: { host: '[::1]:8484' } })).toEqual({ kind: 'ok' });
    expect(authorize(open, { url: '/', headers: { host: 'evil.example:8484' } })).toMatchObject({ kind: 'refused', status: 403 });
  });

  it('with a token: bearer or cookie pass; ?token= logs in with an HttpOnly cookie and leaves the address', () => {
    expect(authorize(guarded, { url: '/api/status', headers: { host: 'db:8484' } })).toMatchObject({ kind: 'refused', status: 401 });
    expect(authorize(guarded, { url: '/api/status', headers: { authorization: `Bearer ${TOKEN}x` } })).toMatchObject({ kind: 'refused' });
    expect(authorize(guarded, { url: '/api/status', headers: { authorization: `Bearer ${TOKEN}` } })).toEqual({ kind: 'ok' });
    expect(authorize(guarded, { url: '/', headers: { cookie: `x=1; dbform_dashboard=${TOKEN}` } })).toEqual({ kind: 'ok' });
    expect(authorize(guarded, { url: `/?token=${TOKEN}&a=1`, headers: {} })).toEqual({
      kind: 'login',
      location: '/?a=1',
      cookie: `dbform_dashboard=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`,
    });
    expect(authorize(guarded, { url: '/?token=wrong', headers: {} })).toMatchObject({ kind: 'refused', status: 401 });
  });
});

describe('History', () => {
  const sample = (at: string, cpu: number): FleetStatus => ({
    formatVersion: 1,
    at,
    hostErrors: {},
    addons: [
      {
        addon: 'shop', plan: 'p', host: 'db-1', version: '15', serverVersion: null, state: 'running', backups: null, pitr: null, drift: null, errors: [], gateways: [],
        members: [{
          name: 'dbform-shop', host: 'db-1', role: 'primary', state: 'running', startedAt: null, cpuPercent: cpu, cpuSecondsTotal: null,
          memory: { current: 100, peak: 200, limit: 300, free: 200 }, swap: { current: 0, limit: null }, connections: { open: 2, max: 51 },
          dataSize: 10, diskSize: 20, disk: { quota: null, filesystemSize: null, filesystemFree: null }, diskGuard: null, replicationLagSeconds: null, replicationLagBytes: null, readReplica: false,
        }],
      },
    ],
  });

  it('keeps at most its capacity of samples per add-on, the newest', () => {
    const h = new History(3);
    for (let i = 0; i < 5; i++) h.add(sample(`2026-11-30T12:00:0${i}Z`, i));
    expect(h.of('shop').map((p) => p.cpuPercent)).toEqual([2, 3, 4]);
    expect(h.of('shop')[2]).toEqual({ t: Date.parse('2026-11-30T12:00:04Z') / 1000, cpuPercent: 4, memoryBytes: 100, memoryLimitBytes: 300, swapBytes: 0, dataBytes: 10, diskBytes: 20, connections: 2 });
    expect(h.size()).toBe(3);
  });

  it('forgets an add-on that is no longer in the status', () => {
    const h = new History(3);
    h.add(sample('2026-11-30T12:00:00Z', 1));
    h.add({ ...sample('2026-11-30T12:00:01Z', 1), addons: [] });
    expect(h.of('shop')).toEqual([]);
  });
});
