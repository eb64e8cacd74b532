import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, type FleetHost, dockerOn, fleetDown, fleetUp, hostsYaml, psqlOn, s3StorageYaml } from './fleet-harness.js';
import { Workspace, asUser, expectEmptyPlan } from './harness.js';

// Minor and major upgrades on the fleet (a host over SSH with its own Docker engine, S3 storage over TLS):
// - minor: the image's name is re-pointed to a rebuilt image (our mirror has one 15.x only, so the rebuild
//   differs by a label: `docker commit --change LABEL`); apply restarts the add-on on it, data kept;
// - major: version "15" -> "17" with rows, users, grants, pg_trgm and passwords, a backup taken first, the
//   PITR stanza upgraded; the plan is then empty; a downgrade is refused; the rollback path of the README
//   (the kept pgdata.pg15 back in place, version "15") brings the 15 data back.

const BUILD = fileURLToPath(new URL('../../scripts/build-image.sh', import.meta.url));
const IMAGE = 'dbform-upgrade-it';
const PORT = 31071;
const ADDON = 'upg';
const DATA = `/var/lib/dbform/${ADDON}`;
const ROWS = 2000;

let fleet: Fleet;
let db1: FleetHost;
let env: Record<string, string>;
let urls: Record<string, string>;
const ws = new Workspace();

function config(version: string): string {
  return `version: 1
hosts:
${hostsYaml(fleet)}${s3StorageYaml(fleet.s3)}defaults:
  timezone: UTC
  image: ${IMAGE}:{version}
addons:
  ${ADDON}:
    plan: postgresql-starter-256
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    version: "${version}"
    host: db-1
    port: ${PORT}
    extensions: [pg_trgm]
    users:
      app:
        access: read-write
      viewer:
        access: read-only
`;
}

const onDb1 = (cmd: string) => spawnSync('nsenter', ['-t', String(db1.pid), '-m', 'sh', '-c', cmd], { encoding: 'utf8' });
const sql = (q: string) => psqlOn(db1, ADDON, PORT, ADDON, q);

function plan(): { code: number; out: string } {
  const r = ws.run(['plan', '--detailed-exitcode'], env);
  return { code: r.code, out: r.stdout + r.stderr };
}

function apply(...hazards: string[]): string {
  const r = ws.run(['apply', '--auto-approve', ...(hazards.length ? ['--allow-hazards', hazards.join(',')] : [])], env);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout + r.stderr;
}

/** What every user sees, through the published port with the password dbform gave it. */
async function clientView() {
  const owner = await asUser(urls.DATABASE_URL!, async (c) => (await c.query('SELECT count(*)::int AS n, max(similarity(name, $1)) AS s FROM items', ['item 42'])).rows[0]);
  const app = await asUser(urls.DATABASE_URL_APP!, async (c) => (await c.query("INSERT INTO items(name) VALUES ('by app') RETURNING id")).rowCount);
  const viewer = await asUser(urls.DATABASE_URL_VIEWER!, async (c) => {
    const n = (await c.query('SELECT count(*)::int AS n FROM items')).rows[0].n as number;
    const write = await c.query("INSERT INTO items(name) VALUES ('no')").then(() => 'allowed', (e: Error) => e.message);
    return { n, write };
  });
  return { owner, app, viewer };
}

function baseBackups(): { type: string; status: string }[] {
  const r = ws.run(['backups', 'list', ADDON, '--format', 'json'], env);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { pitr: { base_backups: { type: string; status: string }[] } }).pitr.base_backups;
}

beforeAll(() => {
  fleet = fleetUp(1);
  db1 = fleet.hosts[0]!;
  env = { S3_ACCESS_KEY_ID: fleet.s3.accessKeyId, S3_SECRET_ACCESS_KEY: fleet.s3.secretAccessKey, NODE_NO_WARNINGS: '1' };
  for (const v of ['15', '17']) {
    const r = spawnSync('bash', [BUILD, '--version', v, `${IMAGE}:${v}`], { env: { ...process.env, DOCKER_HOST: db1.dockerHost, DBFORM_IMAGE_VERIFY: '0' }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }
  ws.write(config('15'));
  apply();
  expectEmptyPlan(ws, env);
  urls = ws.urls(ADDON, env);
  sql(`CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO items(name) SELECT 'item ' || g FROM generate_series(1, ${ROWS}) g;
CREATE INDEX items_name_trgm ON items USING gin (name gin_trgm_ops);
ALTER TABLE items OWNER TO ${ADDON};
ALTER SEQUENCE items_id_seq OWNER TO ${ADDON};`);
  // Grants follow the new table (dbform's default privileges, or its grants on the next apply).
  apply('ACCESS_CHANGE');
}, 600_000);

afterAll(() => {
  ws.cleanup([ADDON]);
  fleetDown();
});

describe('minor upgrade', () => {
  it('a rebuilt image under the same name is a RESTART change; apply moves the add-on onto it, data kept', async () => {
    const before = dockerOn(db1, ['inspect', '-f', '{{.Image}}', `dbform-${ADDON}`]);
    dockerOn(db1, ['create', '--name', 'upg-rebuild', `${IMAGE}:15`, 'true']);
    dockerOn(db1, ['commit', '--change', 'LABEL dbform.rebuilt=minor-upgrade-test', 'upg-rebuild', `${IMAGE}:15`]);
    dockerOn(db1, ['rm', 'upg-rebuild']);
    const rebuilt = dockerOn(db1, ['image', 'inspect', '-f', '{{.Id}}', `${IMAGE}:15`]);
    expect(rebuilt).not.toBe(before);
    const p = plan();
    expect(p.code, p.out).toBe(2);
    expect(p.out).toContain(`image ${IMAGE}:15 rebuilt (${before.slice(7, 19)} -> ${rebuilt.slice(7, 19)})`);
    expect(p.out).toContain('RESTART');
    apply('RESTART');
    expect(dockerOn(db1, ['inspect', '-f', '{{.Image}}', `dbform-${ADDON}`])).toBe(rebuilt);
    const label = dockerOn(db1, ['image', 'inspect', '-f', '{{index .Config.Labels "dbform.postgres.version"}}', rebuilt]);
    expect(sql('SHOW server_version').split(' ')[0]).toBe(label);
    expect(Number(sql('SELECT count(*) FROM items'))).toBe(ROWS);
    expectEmptyPlan(ws, env);
    // The clients' view before the major upgrade: rows, trigram similarity, the app writes, the viewer reads only.
    const view = await clientView();
    expect(view.owner).toEqual({ n: ROWS, s: 1 });
    expect(view.app).toBe(1);
    expect(view.viewer).toEqual({ n: ROWS + 1, write: expect.stringMatching(/permission denied/) });
  }, 300_000);
});

describe('major upgrade 15 -> 17', () => {
  const verifiers = () => sql("SELECT rolname || ' ' || rolpassword FROM pg_authid WHERE rolname IN ('app', 'viewer', 'upg', 'postgres') ORDER BY 1");
  let before = '';

  it('is planned with MAJOR_UPGRADE, a backup first and the kept old data; apply upgrades, everything survives, plan empty', async () => {
    before = verifiers();
    const fullsBefore = baseBackups().filter((b) => b.type === 'full' && b.status === 'ok').length;
    ws.write(config('17'));
    const p = plan();
    expect(p.code, p.out).toBe(2);
    expect(p.out).toContain('PostgreSQL 15 -> 17 (major upgrade: dump and restore into a new data directory)');
    expect(p.out).toContain('MAJOR_UPGRADE');
    expect(p.out).toContain('a backup is taken first');
    expect(p.out).toContain(`kept at ${DATA}/pgdata.pg15`);
    expect(p.out).toContain('stanza-upgrade and a new full base backup');
    const refused = ws.run(['apply', '--auto-approve', '--allow-hazards', 'RESTART'], env);
    expect(refused.code).toBe(1);
    expect(sql('SHOW server_version_num').slice(0, 2)).toBe('15');
    const out = apply('MAJOR_UPGRADE');
    expect(out).toMatch(/backup \S+ of upg taken/);
    expect(out).toMatch(/upg upgraded from PostgreSQL 15: down for [\d.]+ s/);
    expect(sql('SHOW server_version_num').slice(0, 2)).toBe('17');
    expect(verifiers()).toBe(before);
    const view = await clientView();
    expect(view.owner).toEqual({ n: ROWS + 1, s: 1 });
    expect(view.app).toBe(1);
    expect(view.viewer).toEqual({ n: ROWS + 2, write: expect.stringMatching(/permission denied/) });
    expect(sql("SELECT extversion IS NOT NULL FROM pg_extension WHERE extname = 'pg_trgm'")).toBe('t');
    expect(onDb1(`cat ${DATA}/pgdata.pg15/PG_VERSION ${DATA}/pgdata/PG_VERSION`).stdout).toBe('15\n17\n');
    const after = plan();
    expect(after.out).toContain('No changes.');
    expect(after.out).toContain(`${DATA}/pgdata.pg15 holds its data from before a major upgrade`);
    expect(after.code).toBe(0);
    // PITR converged on the new version: the stanza was upgraded and a new full base backup of 17 taken.
    expect(baseBackups().filter((b) => b.type === 'full' && b.status === 'ok')).toHaveLength(fullsBefore + 1);
  }, 600_000);

  it('a downgrade (version back to "15" while the data is 17) is refused naming the add-on', () => {
    ws.write(config('15'));
    const p = plan();
    expect(p.code).toBe(1);
    expect(p.out).toContain('add-on upg: version "15" is older than its data (PostgreSQL 17): a major version cannot be downgraded');
  });

  it('the rollback path: the kept 15 data back in place and version "15": the pre-upgrade data serves again', async () => {
    sql("INSERT INTO items(name) VALUES ('written on 17')");
    dockerOn(db1, ['stop', `dbform-${ADDON}`]);
    const mv = onDb1(`mv ${DATA}/pgdata ${DATA}/pgdata.pg17 && mv ${DATA}/pgdata.pg15 ${DATA}/pgdata`);
    expect(mv.status, mv.stderr).toBe(0);
    ws.write(config('15'));
    const p = plan();
    expect(p.code, p.out).toBe(2);
    expect(p.out).toContain(`image ${IMAGE}:17`);
    apply('RESTART');
    expect(sql('SHOW server_version_num').slice(0, 2)).toBe('15');
    expect(Number(sql('SELECT count(*) FROM items'))).toBe(ROWS + 1);
    expect(sql("SELECT count(*) FROM items WHERE name = 'written on 17'")).toBe('0');
    expect(verifiers()).toBe(before);
    expectEmptyPlan(ws, env);
  }, 600_000);
});
