import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, dockerOn, fleetDown, fleetUp, hostsYaml, psqlOn, s3StorageYaml } from './fleet-harness.js';
import { Workspace, expectEmptyPlan } from './harness.js';
import { connectAny, parseMultiHostUrl } from './ha-writer.js';

// `dbform restore SOURCE --to T --into NEW` where NEW is a highly available add-on, on the real fleet (3 hosts,
// etcd on db-3, the fleet's S3 endpoint). SOURCE is itself a cluster (members on db-3 and db-2: the copy for NEW
// is made on db-1 from the S3 repository alone). NEW (members on db-1 and db-2) is declared, not applied, when
// the restore runs: it must come up as a cluster whose primary holds SOURCE's rows up to T, whose replica cloned
// it and is the synchronous one, reachable through its DATABASE_URL, with its own PITR stanza; SOURCE untouched.

let fleet: Fleet;
const ws = new Workspace();
let env: Record<string, string>;
const host = (name: string) => fleet.hosts.find((h) => h.name === name)!;

/** Each step makes or restores a whole cluster: on a machine shared by several fleets (2 cores), minutes. */
const SLOW = 900_000;

const SOURCE = { name: 'shop', hosts: ['db-3', 'db-2'], port: 31001 };
const NEW = { name: 'shop-copy', hosts: ['db-1', 'db-2'], port: 31021 };
/** PostgreSQL's and Patroni's ports on each member: the gateway's + 1 and + 2 (config/ha-check.ts). */
const pgPort = (a: { port: number }) => a.port + 1;
const apiPort = (a: { port: number }) => a.port + 2;

const addonYaml = (a: { name: string; hosts: string[]; port: number }) => `  ${a.name}:
    plan: postgresql-business-512
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    hosts: [${a.hosts.join(', ')}]
    port: ${a.port}
`;

function config(withNew: boolean): string {
  return `version: 1
hosts:
${hostsYaml(fleet)}${s3StorageYaml(fleet.s3)}defaults:
  storage: main
consensus:
  hosts: [db-3]
addons:
${addonYaml(SOURCE)}${withNew ? addonYaml(NEW) : ''}`;
}

/** Patroni's view of a cluster from one member's API: member -> "role state lag" ({} when it does not answer). */
function patroniCluster(a: { name: string; port: number }, from: string): Record<string, string> {
  try {
    const out = dockerOn(host(from), ['exec', `dbform-${a.name}`, 'curl', '-sf', '-m', '2', '--cacert', '/var/lib/dbform/tls/root.crt', `https://127.0.0.1:${apiPort(a)}/cluster`]);
    const members = (JSON.parse(out) as { members: Array<{ name: string; role: string; state: string; lag?: number }> }).members;
    return Object.fromEntries(members.map((m) => [m.name, `${m.role} ${m.state} ${m.lag ?? '-'}`]));
  } catch {
    return {};
  }
}

async function until(what: string, ok: () => boolean, ms = 90_000): Promise<number> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return Date.now() - t0;
}

const sql = (a: { name: string; port: number }, on: string, text: string, db = a.name) => psqlOn(host(on), a.name, pgPort(a), db, text);

/** Rows of `ledger` through the add-on's DATABASE_URL (whichever gateway answers). */
async function viaUrl(addon: string, text: string, params: string[] = []): Promise<string[]> {
  const { client } = await connectAny(parseMultiHostUrl(ws.urls(addon, env).DATABASE_URL!));
  try {
    const r = await client.query<{ v: string }>(text, params);
    return r.rows.map((x) => x.v);
  } finally {
    await client.end();
  }
}

const write = async (addon: string, rows: string[]) => {
  for (const v of rows) await viaUrl(addon, 'INSERT INTO ledger (v) VALUES ($1) RETURNING v', [v]);
};
const ledger = (a: { name: string; port: number }, on: string) => sql(a, on, "SELECT coalesce(string_agg(v, ',' ORDER BY v), '') FROM ledger");

/** Switches a WAL segment on SOURCE's primary and waits until it is archived (the restore's window ends there). */
async function archiveNow(on: string): Promise<void> {
  const segment = sql(SOURCE, on, 'SELECT pg_walfile_name(pg_switch_wal())', 'postgres');
  await until(`${segment} archived on ${on}`, () => sql(SOURCE, on, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver", 'postgres') >= segment);
}

beforeAll(() => {
  fleet = fleetUp(3);
  env = { S3_ACCESS_KEY_ID: fleet.s3.accessKeyId, S3_SECRET_ACCESS_KEY: fleet.s3.secretAccessKey, NODE_NO_WARNINGS: '1' };
  ws.write(config(false));
}, SLOW);

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

let target = '';
let sourceLeader = '';

describe('restore --to --into a new highly available add-on', () => {
  it('SOURCE, a cluster with PITR on S3: rows before and after the target time, archived', async () => {
    const started = Date.now();
    const r = ws.run(['apply', '--auto-approve'], env, 600_000);
    expect(r.code, r.stdout.slice(-3000) + r.stderr).toBe(0);
    console.log(`first apply of SOURCE (a cluster with PITR): ${Date.now() - started} ms`);
    await until('SOURCE\'s replica to be in sync', () => /^sync_standby (streaming|running) 0$/.test(patroniCluster(SOURCE, 'db-3')['db-2'] ?? ''));
    sourceLeader = Object.entries(patroniCluster(SOURCE, 'db-3')).find(([, v]) => v.startsWith('leader '))![0];
    expect(sourceLeader).toBe('db-3');
    await viaUrl(SOURCE.name, 'CREATE TABLE ledger (v text PRIMARY KEY, at timestamptz DEFAULT now())');
    await write(SOURCE.name, ['a1', 'a2', 'a3']);
    await new Promise((res) => setTimeout(res, 1500));
    target = new Date().toISOString();
    await new Promise((res) => setTimeout(res, 1500));
    await write(SOURCE.name, ['b1', 'b2']);
    await archiveNow(sourceLeader);
    expectEmptyPlan(ws, env);
  }, SLOW);

  it('NEW declared, not applied: restore says what it makes (both members), then NEW is a cluster with the rows up to the target', async () => {
    ws.write(config(true));
    const started = Date.now();
    const r = ws.run(['restore', SOURCE.name, '--to', target, '--into', NEW.name], env, 600_000);
    const ms = Date.now() - started;
    console.log(r.stderr);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    console.log(`restore --to --into a new cluster: ${ms} ms (the copy itself ${/Restored shop into shop-copy in ([\d.]+) s/.exec(r.stdout)?.[1]} s)`);
    // What it will do, before doing it: NEW's members and what each does.
    expect(r.stdout).toContain('Restore shop into shop-copy on db-1 to');
    expect(r.stdout).toContain('shop-copy is created as a highly available cluster: its member on db-1 from it (no initdb; the primary)');
    expect(r.stdout).toContain('then db-2 clones it (the synchronous replica), with a gateway on each of db-1, db-2');
    expect(r.stdout.indexOf('highly available cluster')).toBeLessThan(r.stdout.indexOf('Restored shop into shop-copy'));

    // Patroni: one leader (the preferred member, which holds the restored data), one synchronous replica.
    const view = patroniCluster(NEW, 'db-1');
    expect(Object.keys(view).sort()).toEqual(['db-1', 'db-2']);
    expect(view['db-1']).toMatch(/^leader running/);
    const syncMs = await until('NEW\'s replica to be in sync', () => /^sync_standby (streaming|running) 0$/.test(patroniCluster(NEW, 'db-1')['db-2'] ?? ''));
    console.log(`NEW's replica in sync ${syncMs} ms after the restore command ended`);
    // From the members' own records: the replica's container start to the primary naming it synchronous.
    const startedAt = Date.parse(dockerOn(host('db-2'), ['inspect', '-f', '{{.State.StartedAt}}', 'dbform-shop-copy']));
    // Patroni logs to stderr.
    const logs = spawnSync('docker', ['-H', host('db-1').dockerHost, 'logs', '--timestamps', 'dbform-shop-copy'], { encoding: 'utf8' });
    const assigned = (logs.stdout + logs.stderr).split('\n').find((l) => l.includes('synchronous standby status to') && l.includes('db-2'));
    if (assigned) console.log(`NEW's replica: container start to synchronous standby ${Date.parse(assigned.split(' ')[0]!) - startedAt} ms`);

    // The rows up to the target, not after, on the primary and on the replica (its own port on db-2).
    expect(ledger(NEW, 'db-1')).toBe('a1,a2,a3');
    expect(ledger(NEW, 'db-2')).toBe('a1,a2,a3');
    expect(sql(NEW, 'db-2', 'SELECT pg_is_in_recovery()', 'postgres')).toBe('t');
    // NEW's names: its database and owner; SOURCE's owner role is not carried over.
    expect(sql(NEW, 'db-1', "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname IN ('shop', 'shop-copy', 'replicator')", 'postgres')).toBe('replicator,shop-copy');
    expect(sql(NEW, 'db-1', "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'ledger'")).toBe('shop-copy');
  }, SLOW);

  it('NEW works through its DATABASE_URL, its writes reach the replica, it has its own PITR stanza; SOURCE is untouched; plan is empty', async () => {
    expect(await viaUrl(NEW.name, 'SELECT v FROM ledger ORDER BY v')).toEqual(['a1', 'a2', 'a3']);
    await write(NEW.name, ['n1']);
    await until('the replica to have NEW\'s own row', () => ledger(NEW, 'db-2') === 'a1,a2,a3,n1');
    const list = ws.run(['backups', 'list', NEW.name, '--format', 'json'], env);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { pitr: { base_backups: unknown[] } }).pitr.base_backups).toHaveLength(1);
    // SOURCE: the same rows, the same leader, still in sync.
    expect(await viaUrl(SOURCE.name, 'SELECT v FROM ledger ORDER BY v')).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);
    const source = patroniCluster(SOURCE, 'db-3');
    expect(source['db-3']).toMatch(/^leader running/);
    expect(source['db-2']).toMatch(/^sync_standby (streaming|running) 0$/);
    expectEmptyPlan(ws, env);
  }, SLOW);

  it('restore --into NEW again is refused: NEW exists now; nothing changes', () => {
    const r = ws.run(['restore', SOURCE.name, '--to', target, '--into', NEW.name], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--into shop-copy: shop-copy already exists on db-1');
    expect(ledger(NEW, 'db-1')).toBe('a1,a2,a3,n1');
    expectEmptyPlan(ws, env);
  });
});
