import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { UserError } from '../util/errors.js';

// Who may use the dashboard (pure). On a loopback address only this machine reaches it, and requests must name
// a loopback host (a page elsewhere cannot reach it by DNS rebinding). Listening beyond loopback needs a token
// (DBFORM_DASHBOARD_TOKEN): a request carries it as `Authorization: Bearer TOKEN`, or once as `?token=TOKEN`,
// which sets an HttpOnly cookie and redirects to the same page without it (so it leaves the address bar).

export const TOKEN_ENV = 'DBFORM_DASHBOARD_TOKEN';
export const COOKIE = 'dbform_dashboard';
export const DEFAULT_LISTEN = '127.0.0.1:8484';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface AccessPolicy {
  listen: ListenAddress;
  loopback: boolean;
  /** Required on every request when set. */
  token: string | null;
}

export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535) throw new UserError(`--listen must be ADDRESS:PORT (for example ${DEFAULT_LISTEN}, [::1]:8484 or 0.0.0.0:8484), got ${text}`);
  return { host: m[1] ?? m[2]!, port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export function accessPolicy(listen: string, env: Record<string, string | undefined>): AccessPolicy {
  const address = parseListen(listen);
  const loopback = isLoopback(address.host);
  const token = env[TOKEN_ENV] || null;
  if (!loopback && !token) {
    throw new UserError(`listening on ${listen} (beyond loopback) needs a token: set ${TOKEN_ENV} to a long random string (for example: openssl rand -hex 32)`);
  }
  if (token !== null && token.length < 16) throw new UserError(`${TOKEN_ENV} must be at least 16 characters`);
  return { listen: address, loopback, token };
}

export type Verdict = { kind: 'ok' } | { kind: 'refused'; status: 401 | 403; reason: string } | { kind: 'login'; location: string; cookie: string };

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(header: string | undefined): string | null {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return null;
}

function hostName(hostHeader: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader) ?? /^([^:]+)(?::\d+)?$/.exec(hostHeader);
  return m?.[1] ?? '';
}

export function authorize(policy: AccessPolicy, req: { url: string; headers: Record<string, string | string[] | undefined> }): Verdict {
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  if (policy.loopback && !isLoopback(hostName(header('host') ?? ''))) return { kind: 'refused', status: 403, reason: 'the dashboard answers only to a loopback host name' };
  if (policy.token === null) return { kind: 'ok' };
  const url = new URL(req.url, 'http://dashboard');
  const bearer = /^Bearer (.+)$/.exec(header('authorization') ?? '')?.[1];
  if ((bearer && same(bearer, policy.token)) || same(cookieToken(header('cookie')) ?? '', policy.token)) return { kind: 'ok' };
  const query = url.searchParams.get('token');
  if (query !== null && same(query, policy.token)) {
    url.searchParams.delete('token');
    return { kind: 'login', location: url.pathname + url.search, cookie: `${COOKIE}=${encodeURIComponent(policy.token)}; HttpOnly; SameSite=Strict; Path=/` };
  }
  return { kind: 'refused', status: 401, reason: `a token is required (${TOKEN_ENV}): open the page once with ?token=TOKEN, or send Authorization: Bearer TOKEN` };
}
