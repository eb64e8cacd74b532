import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { renderJson } from '../render/json.js';
import { prometheusText } from '../status/prometheus.js';
import type { Session as DbSession } from '../status/queries.js';
import { redact } from '../util/redact.js';
import { type AccessPolicy, authorize } from './access.js';
import type { Point } from './history.js';
import type { Sampler } from './sampler.js';

// The dashboard's HTTP server (node:http): the page and its bundled assets, one JSON API, and /metrics.
// Read-only: GET and HEAD only. Every body passes through redact(), and the API carries no secret by
// construction (the status and the sessions hold none; query texts have password literals masked).
//
//   GET /api/status                 the latest sample: exactly what `dbform status --format json` prints
//   GET /api/history?addon=NAME     the add-on's charted figures over the span kept in memory (or from Prometheus)
//   GET /api/queries?addon=NAME[&idle=1]   its sessions, as `dbform queries --format json`
//   GET /api/backups?addon=NAME     its backups and PITR window, as `dbform backups list NAME --format json`
//   GET /api/plan                   the last drift check's plan (the fleet's), as `dbform plan --format json`
//   GET /metrics                    the latest sample in the Prometheus text format

export interface DashboardDeps {
  policy: AccessPolicy;
  sampler: Sampler;
  queries(addon: string, idle: boolean): Promise<DbSession[]>;
  /** What `backups list ADDON --format json` prints (null: the add-on's plan takes no backups). */
  backups(addon: string): Promise<unknown>;
  /** With --prometheus URL: the charts' history from that server instead of this process's samples. */
  prometheus?: (addon: string, spanSeconds: number, stepSeconds: number) => Promise<Point[]>;
  /** Directory of the bundled page (dist/dashboard/web). */
  webDir: URL;
}

const ASSETS: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/style.css': 'style.css',
  '/uPlot.min.css': 'uPlot.min.css',
};
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
};

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...HEADERS, 'content-type': type, ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : redact(body));
}

const json = (res: ServerResponse, status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

async function api(deps: DashboardDeps, url: URL, res: ServerResponse): Promise<void> {
  const latest = deps.sampler.latest();
  const addon = url.searchParams.get('addon');
  const known = (name: string | null) => name !== null && latest?.addons.some((a) => a.addon === name);
  switch (url.pathname) {
    case '/api/status':
      return latest ? json(res, 200, latest) : json(res, 503, { error: 'the first sample is not taken yet' });
    case '/api/history': {
      if (!known(addon)) return json(res, 404, { error: `no add-on named ${addon}` });
      const { intervalSeconds, history } = deps.sampler;
      const meta = { addon, intervalSeconds, capacity: history.capacity };
      if (!deps.prometheus) return json(res, 200, { ...meta, source: 'memory', points: history.of(addon!) });
      try {
        return json(res, 200, { ...meta, source: 'prometheus', points: await deps.prometheus(addon!, history.capacity * intervalSeconds, intervalSeconds) });
      } catch (e) {
        return json(res, 502, { error: `Prometheus: ${(e as Error).message}` });
      }
    }
    case '/api/queries': {
      if (!known(addon)) return json(res, 404, { error: `no add-on named ${addon}` });
      const idle = url.searchParams.get('idle') === '1';
      try {
        return json(res, 200, { addon, idleShown: idle, sessions: await deps.queries(addon!, idle) });
      } catch (e) {
        return json(res, 502, { error: (e as Error).message });
      }
    }
    case '/api/backups': {
      if (!known(addon)) return json(res, 404, { error: `no add-on named ${addon}` });
      try {
        return json(res, 200, (await deps.backups(addon!)) ?? { addon, backups: null, pitr: null });
      } catch (e) {
        return json(res, 502, { error: (e as Error).message });
      }
    }
    case '/api/plan': {
      const check = deps.sampler.lastPlan();
      if (!check) return json(res, 503, { error: 'drift is not checked yet' });
      // The plan's JSON rendering holds no secret (steps are left out); send() still redacts the body.
      return json(res, 200, { checkedAt: check.checkedAt, error: check.error, plan: check.plan && JSON.parse(renderJson(check.plan)) });
    }
    case '/metrics':
      return latest ? send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', prometheusText(latest)) : send(res, 503, 'text/plain', 'no sample yet\n');
    default:
      return json(res, 404, { error: 'not found' });
  }
}

async function handle(deps: DashboardDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'the dashboard is read-only\n', { allow: 'GET, HEAD' });
  const verdict = authorize(deps.policy, { url: req.url ?? '/', headers: req.headers });
  if (verdict.kind === 'refused') return send(res, verdict.status, 'text/plain', `${verdict.reason}\n`);
  if (verdict.kind === 'login') return send(res, 303, 'text/plain', '', { location: verdict.location, 'set-cookie': verdict.cookie });
  const url = new URL(req.url ?? '/', 'http://dashboard');
  const asset = ASSETS[url.pathname];
  if (asset) {
    const body = await readFile(new URL(asset, deps.webDir), 'utf8');
    return send(res, 200, TYPES[asset.split('.').pop()!]!, body);
  }
  return api(deps, url, res);
}

export function dashboardServer(deps: DashboardDeps): Server {
  return createServer((req, res) => {
    handle(deps, req, res).catch((e: Error) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `${e.message}\n`);
      else res.end();
    });
  });
}
