import { describe, expect, it } from 'vitest';
import { diffAccess, parseRules } from '../../src/resources/hba/diff.js';
import { renderHba } from '../../src/resources/hba/hba.js';
import { diffExtensions } from '../../src/resources/extensions/diff.js';
import { diffTls } from '../../src/resources/tls/diff.js';
import { fleetCa } from '../../src/resources/tls/ca.js';
import { issueServerCert } from '../../src/resources/tls/server-cert.js';
import { desired, syncedCatalog } from './fixtures.js';

const DAY = 24 * 3600 * 1000;

describe('fleet CA', () => {
  it('is the same key for the same master key and another for another', async () => {
    const [a, b, c] = await Promise.all([fleetCa('master-key-aaaaaaaa'), fleetCa('master-key-aaaaaaaa'), fleetCa('master-key-bbbbbbbb')]);
    expect(a.publicKeyPem).toBe(b.publicKeyPem);
    expect(a.publicKeyPem).not.toBe(c.publicKeyPem);
    expect(a.name).not.toBe(c.name);
  });
});

describe('tls diff', async () => {
  const ca = await fleetCa('master-key-aaaaaaaa');
  const other = await fleetCa('master-key-bbbbbbbb');
  const now = new Date('2026-11-22T00:00:00Z');
  const d = { ...desired(), now: now.toISOString(), tls: { names: ['10.77.0.11', 'db-1'], caPublicKeyPem: ca.publicKeyPem, force: false } };
  const catalogWith = async (issuer = ca, names = ['db-1', '10.77.0.11'], issuedAt = now) => ({
    ...syncedCatalog(d),
    serverCert: (await issueServerCert(issuer, 'shop', names, issuedAt)).certPem,
    rootCert: await ca.certPem(),
  });

  it('nothing to do for a fresh certificate of the fleet CA covering the names', async () => {
    expect(diffTls(d, await catalogWith())).toEqual([]);
  });
  it('renews a certificate with less than 30 days left, not one with 31', async () => {
    const old = diffTls(d, await catalogWith(ca, undefined, new Date(now.getTime() - 340 * DAY)));
    expect(old[0]!.reason).toMatch(/expires on 2026-12-17: renewed 30 days ahead/);
    expect(old[0]!.steps).toEqual([{ type: 'tls.issue', addon: 'shop', names: ['10.77.0.11', 'db-1'], dataDir: '/var/lib/dbform/shop' }]);
    expect(diffTls(d, await catalogWith(ca, undefined, new Date(now.getTime() - 333 * DAY)))).toEqual([]);
  });
  it('replaces a certificate of another CA or for other names', async () => {
    expect(diffTls(d, await catalogWith(other))[0]!.reason).toMatch(/not issued by the fleet CA/);
    expect(diffTls(d, await catalogWith(ca, ['db-2']))[0]!.reason).toMatch(/covers db-2, not 10\.77\.0\.11, db-1/);
  });
  it('creates one where there is none, and leaves a new instance to its container', async () => {
    expect(diffTls(d, { ...syncedCatalog(d), serverCert: null, rootCert: null })[0]!.action).toBe('create');
    expect(diffTls(d, null)).toEqual([]);
  });
});

describe('access diff', () => {
  it('renders hostssl lines only for forced TLS, one per allowed range, and a final reject', () => {
    const hba = renderHba({ force: true, allowedIps: ['10.0.0.0/8'] });
    expect(hba).toMatch(/^hostssl all {2}all {7}10\.0\.0\.0\/8 {2}scram-sha-256$/m);
    expect(hba).not.toMatch(/^host +all +all +0\.0\.0\.0/m);
    expect(hba.trim().split('\n').at(-1)).toBe('host    all  all       all           reject');
    expect(parseRules(hba)).toEqual({ tls_forced: true, allowed_ips: ['10.0.0.0/8'] });
    expect(parseRules(renderHba({ force: false, allowedIps: [] }))).toEqual({ tls_forced: false, allowed_ips: [] });
  });
  it('turning force on is an access change', () => {
    const d = desired();
    const forced = { ...d, tls: { ...d.tls, force: true }, hba: renderHba({ force: true, allowedIps: [] }) };
    const [c] = diffAccess(forced, syncedCatalog(d));
    expect(c!.hazards).toEqual([{ code: 'ACCESS_CHANGE', message: 'clients that connect without TLS are refused' }]);
    expect(c!.before).toEqual({ tls_forced: false, allowed_ips: [] });
  });
  it('a line added by hand is reverted, as an access change', () => {
    const d = desired();
    const [c] = diffAccess(d, { ...syncedCatalog(d), hba: d.hba + 'host all all 0.0.0.0/0 trust\n' });
    expect(c!.reason).toBe('pg_hba.conf was changed outside dbform');
    expect(c!.hazards.map((h) => h.code)).toEqual(['ACCESS_CHANGE']);
  });
});

describe('extensions diff', () => {
  it('creates declared ones, adopts existing ones, drops only its own with a DATA_LOSS hazard', () => {
    const d = { ...desired(), extensions: ['citext', 'pg_trgm'] };
    const catalog = { ...syncedCatalog(d), extensions: [{ name: 'citext', managed: false }, { name: 'hstore', managed: true }, { name: 'postgis', managed: false }] };
    const changes = diffExtensions(d, catalog);
    expect(changes.map((c) => [c.address, c.action])).toEqual([
      ['addon.shop.extension.citext', 'update'],
      ['addon.shop.extension.pg_trgm', 'create'],
      ['addon.shop.extension.hstore', 'delete'],
    ]);
    expect(changes[2]!.hazards.map((h) => h.code)).toEqual(['DATA_LOSS']);
    expect(changes[2]!.steps[0]!.statements).toEqual(['DROP EXTENSION "hstore"']);
  });
});
