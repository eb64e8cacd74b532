import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { certRenewalReasons, etcdCertWants, patroniCertWants } from '../../src/resources/ha/cert-check.js';
import { etcdPlacements, patroniPlacements } from '../../src/resources/ha/desired.js';
import type { ObservedEtcd, ObservedPatroni } from '../../src/resources/ha/model.js';
import { fileHashes, specHash } from '../../src/resources/ha/spec-hash.js';
import { ETCD_CLIENT_CERT, ETCD_MEMBER_CERT, MEMBER_CERT } from '../../src/resources/ha/tls.js';
import { etcdKind } from '../../src/resources/etcd/kind.js';
import { patroniKind } from '../../src/resources/patroni/kind.js';
import type { DesiredContext } from '../../src/resources/kind.js';
import { type FleetCa, fleetCa } from '../../src/resources/tls/ca.js';
import { issueServerCert } from '../../src/resources/tls/server-cert.js';
import { ORDERS_CLUSTER_YAML as YAML } from './fixtures.js';

// The certificates of a cluster's containers, renewed 30 days before they expire without a restart: plain
// data (certificates issued by a CA derived from a test master key, at chosen dates) -> plan.

const NOW = new Date('2026-12-01T00:00:00Z');
const DAY = 86_400_000;
const IMAGE_ID = `sha256:${'1'.repeat(64)}`;

let ca: FleetCa;
let ctx: DesiredContext;
beforeAll(async () => {
  ca = await fleetCa('cert-renewal-test-master-key');
  ctx = { caPublicKeyPem: ca.publicKeyPem, now: NOW, backupRecipient: () => 'age1recipient' };
});

/** A certificate of `by` for `names`, issued `daysAgo` days before NOW (valid 365 days from then). */
async function cert(names: string[], daysAgo: number, by: FleetCa = ca): Promise<string> {
  return (await issueServerCert(by, 'test', names, new Date(NOW.getTime() - daysAgo * DAY), ['server'])).certPem;
}

describe('certificates of a Patroni member', () => {
  const config = loadConfig('databases.yaml', YAML);
  const placed = () => patroniPlacements(config, ctx)[1]!; // db-2
  async function observed(certs: Record<string, string | null> | undefined): Promise<ObservedPatroni> {
    const spec = placed().desired.spec;
    const container = { name: spec.name, role: 'patroni', addon: 'orders', spec: specHash(spec), running: true, status: 'running', dir: spec.dir, imageId: IMAGE_ID, tagImageId: IMAGE_ID };
    const member = { role: 'sync_standby', state: 'streaming', lagMb: 0, timeline: 1, pendingRestart: false, plainHttpApi: false };
    return { container, files: fileHashes(spec), member, ...(certs ? { certs } : {}) };
  }
  const fresh = async () => ({ [MEMBER_CERT.cert]: await cert(placed().desired.tlsNames, 10), [ETCD_CLIENT_CERT.cert]: await cert(['db-2'], 10) });

  it('nothing to do while both have over 30 days left and cover their names; nothing when they were not read', async () => {
    expect(patroniKind.diff(placed(), await observed(await fresh()))).toEqual([]);
    expect(patroniKind.diff(placed(), await observed(undefined))).toEqual([]);
  });

  it('renews, without a restart or a hazard, one with under 30 days left', async () => {
    const certs = { ...(await fresh()), [MEMBER_CERT.cert]: await cert(placed().desired.tlsNames, 340) };
    const [change, ...rest] = patroniKind.diff(placed(), await observed(certs));
    expect(rest).toEqual([]);
    expect(change).toMatchObject({ address: 'addon.orders.patroni.db-2', action: 'update', hazards: [] });
    expect(change!.reason).toBe('certificates issued again by the fleet CA, without a restart: server.crt expires on 2026-12-26 (renewed 30 days ahead)');
    expect(change!.steps).toEqual([expect.objectContaining({ type: 'patroni.renew-certs', member: 'db-2', tlsNames: placed().desired.tlsNames })]);
    expect(JSON.stringify(change)).not.toContain('BEGIN');
  });

  it('renews them in the same change as a reload of changed files (a member moved: the others must name it)', async () => {
    const certs = { ...(await fresh()), [MEMBER_CERT.cert]: await cert(placed().desired.tlsNames.slice(0, 1), 10) };
    const o = await observed(certs);
    const [file] = Object.keys(o.files);
    const [change, ...rest] = patroniKind.diff(placed(), { ...o, files: { ...o.files, [file!]: 'f'.repeat(64) } });
    expect(rest).toEqual([]);
    expect(change!.reason).toMatch(/ changed: rewritten and reloaded, without a restart; certificates issued again by the fleet CA: server\.crt does not cover /);
    expect(change!.steps.map((s) => s.type)).toEqual(['patroni.reload', 'patroni.renew-certs']);
  });

  it('renews a missing one, another CA\'s, or one lacking a name', async () => {
    const other = await fleetCa('another-master-key');
    const reasons = certRenewalReasons(patroniCertWants(placed().desired, 'db-2'), {
      [MEMBER_CERT.cert]: await cert(['10.0.0.2'], 1, other),
      [ETCD_CLIENT_CERT.cert]: null,
    }, ca.publicKeyPem, NOW);
    expect(reasons).toEqual(['server.crt is not issued by the fleet CA', `server.crt does not cover ${placed().desired.tlsNames.filter((n) => n !== '10.0.0.2').join(', ')}`, 'etcd-client.crt is missing']);
  });

  it('a member that must be made again gets its certificates then: one change, the restart\'s', async () => {
    const certs = { ...(await fresh()), [MEMBER_CERT.cert]: await cert(placed().desired.tlsNames, 340) };
    const stale = await observed(certs);
    const [change] = patroniKind.diff(placed(), { ...stale, container: { ...stale.container!, spec: 'older' } });
    expect(change!.steps[0]!.type).toBe('patroni.ensure');
    expect(change!.hazards.map((h) => h.code)).toEqual(['FAILOVER']);
  });
});

describe('the certificate of an etcd member', () => {
  it('is renewed with under 30 days left, without a restart', async () => {
    const placed = etcdPlacements(loadConfig('databases.yaml', YAML), ctx)[0]!;
    const spec = placed.desired.spec;
    const container = { name: spec.name, role: 'etcd', addon: '', spec: specHash(spec), running: true, status: 'running', dir: spec.dir, imageId: IMAGE_ID, tagImageId: IMAGE_ID };
    const observed = async (daysAgo: number): Promise<ObservedEtcd> => ({ container, files: fileHashes(spec), hasCert: true, certs: { [ETCD_MEMBER_CERT.cert]: await cert(placed.desired.tlsNames, daysAgo) } });
    expect(etcdKind.diff(placed, await observed(300))).toEqual([]);
    const [change] = etcdKind.diff(placed, await observed(350));
    expect(change).toMatchObject({ address: 'consensus.etcd.db-3', hazards: [], reason: expect.stringContaining('member.crt expires on 2026-12-16') });
    expect(change!.steps[0]!.type).toBe('etcd.renew-certs');
    expect(etcdCertWants(placed.desired)).toEqual([{ cert: ETCD_MEMBER_CERT.cert, names: placed.desired.tlsNames }]);
  });
});
