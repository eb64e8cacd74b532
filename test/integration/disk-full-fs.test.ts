import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_STATE, type Fleet, fleetDown, fleetUp, hostsYaml, psqlOn } from './fleet-harness.js';
import { Workspace } from './harness.js';

// A data directory that is its own small filesystem (as with encryption at rest: a volume of the disk's size),
// here a 640 MB ext4 image on a loop device mounted at the add-on's data directory, with a quota (disk: 2GB)
// that never binds: the guard must switch on the filesystem's own fullness (df). Then the filesystem is filled
// to the last block by the superuser (whom the guard leaves writable): PostgreSQL must refuse the writes with
// an error, keep serving reads, and keep every index sound (amcheck); freeing space brings writes back.

const ADDON = 'tight';
const PORT = 31311;
const READ_ONLY = '25006';
const IMAGE = `${FLEET_STATE}/dbform-it-${ADDON}.img`;
const ws = new Workspace();
let fleet: Fleet;
let loop = '';
let owner = '';

const db1 = () => fleet.hosts[0]!;
const onHost = (cmd: string) => spawnSync('nsenter', ['-t', String(db1().pid), '-m', 'sh', '-c', cmd], { encoding: 'utf8' });
const fsPercent = () => {
  const [used, avail] = onHost(`df -Pk /var/lib/dbform/${ADDON} | awk 'NR == 2 { print $3, $4 }'`).stdout.trim().split(' ').map(Number);
  return (100 * used!) / (used! + avail!);
};
const superuser = (sql: string) => psqlOn(db1(), ADDON, PORT, ADDON, sql);
/** PostgreSQL's own messages about the disk (its jsonlog files), for the record. */
const pgLog = () => onHost(`cat /var/lib/dbform/${ADDON}/pgdata/log/*.json 2>/dev/null | grep -E 'PANIC|space|could not' | cut -c1-400 | tail -n 8`).stdout.trim();
/** bt_index_check (with the heap's tuples) on every B-tree index of the add-on's database: how many passed. */
const AMCHECK = `SELECT count(bt_index_check(c.oid, true)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'btree' AND c.relpersistence <> 't'`;

async function tryAs(url: string, sql: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await c.query(sql);
    return null;
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function waitFor(what: string, seconds: number, check: () => Promise<boolean>): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 3000));
  }
  throw new Error(`${what}: not within ${seconds} s`);
}

beforeAll(() => {
  fleet = fleetUp(1);
  execFileSync('truncate', ['-s', '640M', IMAGE]);
  execFileSync('mkfs.ext4', ['-q', '-F', IMAGE]);
  loop = execFileSync('losetup', ['-f', '--show', IMAGE], { encoding: 'utf8' }).trim();
  const m = onHost(`mkdir -p /var/lib/dbform/${ADDON} && mount ${loop} /var/lib/dbform/${ADDON} && df -Pk /var/lib/dbform/${ADDON}`);
  expect(m.status, m.stderr).toBe(0);
  const blocks = Number(m.stdout.split('\n')[1]!.trim().split(/\s+/)[1]);
  expect(blocks).toBeGreaterThan(560 * 1024); // df measures the small filesystem (640 MB less ext4's own)
  expect(blocks).toBeLessThan(640 * 1024);
  console.log(m.stdout.trim());
  ws.write(`version: 1
hosts:
${hostsYaml(fleet)}addons:
  ${ADDON}:
    plan: postgresql-sandbox
    host: db-1
    port: ${PORT}
    disk: 2GB
`);
  const r = ws.run(['apply', '--auto-approve']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  owner = ws.urls(ADDON).DATABASE_URL!;
  superuser('CREATE EXTENSION amcheck'); // now: on a full disk even a catalog row may not fit
}, 300_000);

afterAll(() => {
  ws.cleanup([]);
  fleetDown(); // ends the host's mount namespace, and with it the mount
  if (loop) spawnSync('losetup', ['-d', loop]);
  rmSync(IMAGE, { force: true });
});

describe('a data directory that is its own filesystem', () => {
  it('the filesystem past 95 % (the quota far from spent): read-only within 2 minutes', async () => {
    // The guard's first run holds its reserve (32 MB for this disk), counted as used.
    await waitFor('reserve held', 70, async () => onHost(`stat -c %s /var/lib/dbform/${ADDON}/dbform-reserve`).stdout.trim() === String(32 * 1024 * 1024));
    expect(await tryAs(owner, `CREATE TABLE big (id serial PRIMARY KEY, v text); ALTER TABLE big ALTER COLUMN v SET STORAGE EXTERNAL`)).toBeNull();
    // 2 MB a statement (and as much WAL): steps under 1 % of the filesystem. Its last 5 % (30 MB) must hold the
    // next WAL segments PostgreSQL makes (16 MB each, made whole): on a smaller disk 5 % is less than one.
    const batch = "INSERT INTO big (v) SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 32768), generate_series(1, 2) g GROUP BY g";
    const seen: string[] = [];
    while (fsPercent() < 95.3) {
      seen.push(fsPercent().toFixed(1));
      const code = await tryAs(owner, batch);
      if (code === READ_ONLY) break;
      expect(code, `filling, at ${seen.join(' ')} %; PostgreSQL's log: ${pgLog()}`).toBeNull();
    }
    console.log(`filled to ${fsPercent().toFixed(1)} % (${seen.join(' ')})`);
    await waitFor('read-only', 130, async () => (await tryAs(owner, "INSERT INTO big (v) VALUES ('1')")) === READ_ONLY);
    expect(superuser("SELECT shobj_description(oid, 'pg_authid') FROM pg_authid WHERE rolname = 'tight'")).toMatch(
      /read-only since \S+: the filesystem of its data directory is (9\d|100) % full; writable again below 90 %$/,
    );
  }, 400_000);

  it('filled to the last block by the superuser: the write fails, reads are served, nothing is corrupt', async () => {
    let failure: { code?: string; message: string } | null = null;
    const c = new pg.Client({ connectionString: owner });
    c.on('error', () => undefined);
    await c.connect();
    await c.query('SET default_transaction_read_only = off');
    const one = "INSERT INTO big (v) SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 32768)";
    for (let i = 0; i < 400 && !failure; i++) await c.query(one).catch((e: { code?: string; message: string }) => (failure = e));
    await c.end().catch(() => undefined);
    const f = failure as { code?: string; message: string } | null;
    console.log(`the filesystem at ${fsPercent().toFixed(1)} %: ${f ? `${f.code} ${f.message}` : 'no failure'}\nPostgreSQL's log: ${pgLog()}`);
    expect(f).not.toBeNull();
    // Reads: in new sessions, as soon as PostgreSQL answers. A WAL file that cannot be made is a PANIC, and on
    // a full filesystem PostgreSQL cannot start again: the guard's next run frees its reserve, and it starts.
    const t0 = Date.now();
    let rows = -1;
    while (rows < 0 && Date.now() - t0 < 180_000) {
      try {
        rows = Number(superuser('SELECT count(*) FROM big'));
      } catch {
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    console.log(`reads answered ${((Date.now() - t0) / 1000).toFixed(1)} s after the failed write; ${rows} rows`);
    expect(rows).toBeGreaterThan(0);
    expect(onHost(`ls /var/lib/dbform/${ADDON}`).stdout).not.toContain('dbform-reserve');
    const r = new pg.Client({ connectionString: owner });
    await r.connect();
    expect((await r.query("SELECT count(*)::int AS n, count(*) FILTER (WHERE length(v) = 1048576 OR v = '1')::int AS whole FROM big")).rows[0]).toEqual({ n: rows, whole: rows });
    await r.end();
    expect(Number(superuser(AMCHECK))).toBeGreaterThan(100);
  }, 300_000);

  it('space freed: writes come back by themselves within 2 minutes; every index still sound', async () => {
    superuser('TRUNCATE big'); // frees the table's files at once, with next to no WAL
    psqlOn(db1(), ADDON, PORT, 'postgres', 'CHECKPOINT');
    console.log(`after TRUNCATE and CHECKPOINT: ${fsPercent().toFixed(1)} %`);
    await waitFor('writable again', 130, async () => (await tryAs(owner, "INSERT INTO big (v) VALUES ('1')")) === null);
    // and the reserve is held again (32 MB: two WAL files), by the same run or the next
    await waitFor('reserve held again', 70, async () => onHost(`stat -c %s /var/lib/dbform/${ADDON}/dbform-reserve`).stdout.trim() === String(32 * 1024 * 1024));
    expect(Number(superuser(AMCHECK))).toBeGreaterThan(100);
    const plan = ws.run(['plan', '--detailed-exitcode']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  }, 300_000);
});
