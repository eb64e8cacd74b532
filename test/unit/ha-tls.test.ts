import { X509Certificate } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { etcdPlacements, gatewayPlacements, patroniPlacements } from '../../src/resources/ha/desired.js';
import { parsePatroniMember, patroniClusterCommand } from '../../src/resources/ha/gather.js';
import { patroniStartOnly } from '../../src/resources/ha/render.js';
import { fileHashes, specHash } from '../../src/resources/ha/spec-hash.js';
import type { ObservedPatroni } from '../../src/resources/ha/model.js';
import { etcdKind } from '../../src/resources/etcd/kind.js';
import { patroniKind } from '../../src/resources/patroni/kind.js';
import { fleetCa } from '../../src/resources/tls/ca.js';
import { inspectCert, issueServerCert } from '../../src/resources/tls/server-cert.js';
import { DESIRED_CTX, ORDERS_CLUSTER_YAML as YAML } from './fixtures.js';

// Every link of high availability is TLS with the fleet CA: what the renderers say on plain data, and how
// the plan moves a cluster made before (plain http) to TLS.

const config = loadConfig('databases.yaml', YAML);
const CA = '/var/lib/dbform/tls/root.crt';
const IMAGE_ID = `sha256:${'1'.repeat(64)}`;

describe('etcd over TLS', () => {
  const [etcd] = etcdPlacements(config, DESIRED_CTX);
  const cmd = etcd!.desired.spec.command;
  const flag = (name: string) => cmd[cmd.indexOf(name) + 1];

  it('serves clients and peers on https only, and asks both for a certificate of the fleet CA', () => {
    expect(flag('--listen-client-urls')).toBe('https://10.77.0.13:2379,https://127.0.0.1:2379');
    expect(flag('--advertise-client-urls')).toBe('https://10.77.0.13:2379');
    expect(flag('--listen-peer-urls')).toBe('https://10.77.0.13:2380');
    expect(flag('--initial-cluster')).toBe('db-3=https://10.77.0.13:2380');
    expect(cmd.filter((c) => c.startsWith('http://'))).toEqual([]);
    expect(cmd).toContain('--client-cert-auth');
    expect(cmd).toContain('--peer-client-cert-auth');
    expect([flag('--trusted-ca-file'), flag('--peer-trusted-ca-file')]).toEqual([CA, CA]);
    expect([flag('--cert-file'), flag('--key-file')]).toEqual(['/var/lib/dbform/tls/member.crt', '/var/lib/dbform/tls/member.key']);
    expect(etcd!.desired.tlsNames).toEqual(['10.77.0.13', 'db-3', '127.0.0.1']);
  });

  it('says what moving a store made before to TLS costs, and only then', () => {
    const spec = etcd!.desired.spec;
    const old = { container: { name: spec.name, role: 'etcd', addon: '', spec: 'f'.repeat(64), running: true, status: 'running', dir: spec.dir, imageId: IMAGE_ID, tagImageId: IMAGE_ID }, files: {} };
    const [moving] = etcdKind.diff(etcd!, { ...old, hasCert: false });
    expect(moving!.hazards).toEqual([{ code: 'RESTART', message: expect.stringMatching(/moves to TLS: .* writes pause for about 10 s in all \(8 s measured on the test fleet\), no acknowledged commit lost/) }]);
    expect(moving!.steps[0]).toMatchObject({ type: 'etcd.ensure', tlsNames: ['10.77.0.13', 'db-3', '127.0.0.1'] });
    const [again] = etcdKind.diff(etcd!, { ...old, hasCert: true });
    expect(again!.hazards[0]!.message).not.toContain('TLS');
    const three = etcdPlacements(loadConfig('databases.yaml', YAML.replace('hosts: [db-3]', 'hosts: [db-1, db-2, db-3]')), DESIRED_CTX)[0]!;
    const [unhandled] = etcdKind.diff(three, { ...old, container: { ...old.container, dir: three.desired.spec.dir }, hasCert: false });
    expect(unhandled!.hazards[0]!.message).toContain('a store of 3 members made before keeps its members\' recorded http:// peer addresses');
  });
});

describe("Patroni's REST API, its link to etcd and replication over TLS", () => {
  const [db1, db2] = patroniPlacements(config, DESIRED_CTX);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed YAML document, read by path
  const yml = parse(db1!.desired.spec.files['patroni.yml']!) as Record<string, any>;

  it('serves the API with the member certificate, asks a client certificate for changes, and verifies the other members with the CA', () => {
    expect(yml.restapi).toEqual({
      listen: '0.0.0.0:31003', connect_address: '10.77.0.11:31003',
      certfile: '/var/lib/dbform/tls/server.crt', keyfile: '/var/lib/dbform/tls/server.key', cafile: CA, verify_client: 'optional',
    });
    // Patroni's client (and patronictl) shows the member's client certificate, not its server certificate.
    expect(yml.ctl).toEqual({ cacert: CA, certfile: '/var/lib/dbform/tls/etcd-client.crt', keyfile: '/var/lib/dbform/tls/etcd-client.key' });
    expect(db1!.desired.peerApis).toEqual(['https://10.77.0.12:31003']);
    expect(db2!.desired.preferredApi).toBe('https://10.77.0.11:31003');
    expect(db1!.desired.tlsNames).toEqual(['10.77.0.11', 'db-1', '10.77.0.12', 'db-2', '127.0.0.1', 'localhost']);
  });

  it('reaches etcd over https with a client certificate', () => {
    expect(yml.etcd3).toEqual({
      hosts: ['10.77.0.13:2379'], protocol: 'https', cacert: CA,
      cert: '/var/lib/dbform/tls/etcd-client.crt', key: '/var/lib/dbform/tls/etcd-client.key',
    });
  });

  it('replicates, clones and rewinds over TLS, verifying the other member by its address', () => {
    const tls = { sslmode: 'verify-full', sslrootcert: CA };
    expect(yml.postgresql.authentication).toEqual({ superuser: { username: 'postgres', ...tls }, replication: { username: 'replicator', ...tls } });
    expect(yml.postgresql.parameters).toMatchObject({ ssl: 'on', ssl_cert_file: '/var/lib/dbform/tls/server.crt' });
    expect(db1!.desired.spec.files['patroni.yml']).not.toMatch(/BEGIN|password:/);
  });

  it('restarts a member when where or how it reaches etcd changes (Patroni reads it only at start), not for a reloadable setting', () => {
    const base = db1!.desired.spec.files['patroni.yml']!;
    const doc = parse(base) as Record<string, Record<string, unknown>>;
    const plainEtcd = stringify({ ...doc, etcd3: { hosts: ['10.77.0.13:2379'] } });
    const otherParameters = stringify({ ...doc, postgresql: { ...doc.postgresql, parameters: { work_mem: '8MB' } } });
    expect(patroniStartOnly(plainEtcd)).not.toBe(patroniStartOnly(base));
    expect(patroniStartOnly(otherParameters)).toBe(patroniStartOnly(base));
    expect(specHash({ ...db1!.desired.spec, startOnly: patroniStartOnly(plainEtcd) })).not.toBe(specHash(db1!.desired.spec));
  });

  it('reads the cluster over https with the CA, and marks a member whose API still answers plain http', () => {
    const cmd = patroniClusterCommand('dbform-orders', 31003);
    expect(cmd).toContain(`--cacert ${CA} https://127.0.0.1:31003/cluster`);
    expect(cmd).not.toMatch(/ -k | --insecure /);
    const json = JSON.stringify({ members: [{ name: 'db-1', role: 'leader', state: 'running', timeline: 1 }] });
    expect(parsePatroniMember(json, 'db-1')!.plainHttpApi).toBe(false);
    expect(parsePatroniMember(`${json}\n@@plain-http\n`, 'db-1')).toMatchObject({ role: 'leader', plainHttpApi: true });
  });

  it('moves a member made before TLS with FAILOVER, telling apply it may still speak plain http to it', () => {
    const spec = db1!.desired.spec;
    const member = { role: 'leader', state: 'running', lagMb: null, timeline: 1, pendingRestart: false, plainHttpApi: true };
    const observed: ObservedPatroni = {
      container: { name: spec.name, role: 'patroni', addon: 'orders', spec: 'f'.repeat(64), running: true, status: 'running', dir: spec.dir, imageId: IMAGE_ID, tagImageId: IMAGE_ID },
      files: { 'patroni.yml': 'e'.repeat(64) }, member,
    };
    const [moving] = patroniKind.diff(db1!, observed);
    expect(moving).toMatchObject({ action: 'update', hazards: [{ code: 'FAILOVER', message: expect.stringContaining('to TLS') }] });
    expect(moving!.steps[0]).toMatchObject({ type: 'patroni.ensure', plainHttpApi: true });
    const current = { ...observed, container: { ...observed.container!, spec: specHash(spec) }, files: fileHashes(spec), member: { ...member, plainHttpApi: false } };
    expect(patroniKind.diff(db1!, current)).toEqual([]);
    const [restart] = patroniKind.diff(db1!, { ...current, container: { ...current.container, spec: 'f'.repeat(64) } });
    expect(restart!.steps[0]).not.toHaveProperty('plainHttpApi');
    expect(restart!.hazards[0]!.message).not.toContain('TLS');
  });
});

describe('gateways', () => {
  it('check the primary over HTTPS, verifying the API against the fleet CA', () => {
    const cfg = gatewayPlacements(config)[0]!.desired.spec.files['haproxy.cfg']!;
    expect(cfg).toContain(`  server db-1 10.77.0.11:31002 check port 31003 check-ssl verify required ca-file ${CA}`);
    expect(cfg).toContain(`  server db-2 10.77.0.12:31002 check port 31003 check-ssl verify required ca-file ${CA}`);
    expect(cfg).not.toContain('verify none');
  });
});

describe('certificates of high availability', () => {
  it('authenticate a server, a client, or both (an etcd member to its peers)', async () => {
    const ca = await fleetCa('master-key-aaaaaaaa');
    const eku = async (usages: Array<'server' | 'client'>) => new X509Certificate((await issueServerCert(ca, 'x', ['10.77.0.13'], new Date(), usages)).certPem).keyUsage;
    expect(await eku(['server'])).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(await eku(['client'])).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect((await eku(['server', 'client'])).sort()).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  it('carry an address as a DNS name too when asked (dns:ADDRESS: pgBackRest 2.45 matches DNS names only), and read it back so', async () => {
    const ca = await fleetCa('master-key-aaaaaaaa');
    const { certPem } = await issueServerCert(ca, 'orders', ['10.77.0.11', 'dns:10.77.0.11', 'db-1']);
    expect(new X509Certificate(certPem).subjectAltName).toBe('IP Address:10.77.0.11, DNS:10.77.0.11, DNS:db-1');
    expect(inspectCert(certPem, ca.publicKeyPem)!.names).toEqual(['10.77.0.11', 'db-1', 'dns:10.77.0.11']);
    // A certificate without it lacks the name: renewed (patroni/kind.ts), as for any name a member needs.
    const before = (await issueServerCert(ca, 'orders', ['10.77.0.11', 'db-1'])).certPem;
    expect(inspectCert(before, ca.publicKeyPem)!.names).not.toContain('dns:10.77.0.11');
  });
});
