import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, dockerOn, filesUnder, fleetDown, fleetUp, hostsYaml, psqlOn } from './fleet-harness.js';
import { Workspace, asUser } from './harness.js';

// Point-in-time recovery end to end on the fleet: pgBackRest in the add-on's container archiving WAL to the
// fleet's S3 endpoint over TLS (an encrypted repository), the stanza and first full base backup made by
// apply, and the window `dbform backups list` reads back from the host.

let fleet: Fleet;
const ws = new Workspace();
const CANARY_ROW = 'pitr-canary-row-0c41d9';
let env: Record<string, string>;
let applyOutput = '';
let applySeconds = 0;

const LOCAL_REPO = '/var/lib/dbform-backups';

function storageYaml(type: 's3' | 'local'): string {
  if (type === 'local') return `  main:\n    type: local\n    path: ${LOCAL_REPO}\n`;
  return `  main:
    type: s3
    endpoint: https://s3.fleet:443
    region: us-east-1
    bucket: ${fleet.s3.bucket}
    accessKeyIdEnv: S3_ACCESS_KEY_ID
    secretAccessKeyEnv: S3_SECRET_ACCESS_KEY
    caFile: ${fleet.s3.caFile}
`;
}

function config(pitr: boolean, storage: 's3' | 'local' = 's3'): string {
  return `version: 1
hosts:
${hostsYaml(fleet)}storage:
${storageYaml(storage)}defaults:
  storage: main
addons:
  ledger:
    plan: postgresql-starter-256
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    host: db-1
    port: 31001
    backups:
      pitr: ${pitr}
`;
}

const db1 = () => fleet.hosts.find((h) => h.name === 'db-1')!;
const onDb1 = (cmd: string) => spawnSync('nsenter', ['-t', String(db1().pid), '-m', 'sh', '-c', cmd], { encoding: 'utf8' });

const repoFiles = () => filesUnder(join(fleet.s3.dataDir, fleet.s3.bucket, '.pgbackrest', 'ledger'));

interface ListJson {
  pitr: {
    window: { earliest: string; latest: string } | null;
    base_backups: { id: string; type: string; status: string; finished_at: string }[];
    archiver: { failed_count: number; last_archived_at: string | null } | null;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listJson(): ListJson {
  const r = ws.run(['backups', 'list', 'ledger', '--format', 'json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ListJson;
}

beforeAll(() => {
  fleet = fleetUp(3);
  env = {
    S3_ACCESS_KEY_ID: fleet.s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: fleet.s3.secretAccessKey,
    NODE_NO_WARNINGS: '1',
  };
  ws.write(config(true));
  const t0 = Date.now();
  const r = ws.run(['apply', '--auto-approve'], env);
  applySeconds = (Date.now() - t0) / 1000;
  applyOutput = r.stdout + r.stderr;
  expect(r.code, applyOutput).toBe(0);
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('point-in-time recovery (pgBackRest to S3 over TLS)', () => {
  it('apply makes the stanza and the first full base backup; plan is empty after it', () => {
    expect(applyOutput).toContain('addon.ledger.pitr: done');
    expect(applyOutput).toContain('addon.ledger.pitr_base: done');
    console.log(`first apply with PITR on: ${applySeconds.toFixed(1)} s; ${/first full base backup of ledger taken in [\d.]+ s/.exec(applyOutput)?.[0] ?? ''}`);
    const plan = ws.run(['plan', '--detailed-exitcode'], env);
    expect(plan.stdout).toContain('No changes.');
    expect(plan.code).toBe(0);
  });

  it("the settings are the container's postgres user's only, and the container runs with archiving on", () => {
    const st = onDb1('stat -c "%a %s" /var/lib/dbform/.pitr/ledger/etc/pgbackrest.conf /var/lib/dbform/.pitr/ledger/etc/conf.d/cipher.conf /var/lib/dbform/.pitr/ledger/etc');
    expect(st.stdout.trim().split('\n').map((l) => l.split(' ')[0])).toEqual(['600', '600', '700']);
    expect(psqlOn(db1(), 'ledger', 31001, 'postgres', "SELECT current_setting('archive_mode') || ' ' || current_setting('archive_timeout')")).toBe('on 50s');
  });

  it('rows committed are archived within archive_timeout: the window reaches them; the archiver has no failure', async () => {
    const url = ws.urls('ledger', env).DATABASE_URL!;
    await asUser(url, async (c) => {
      await c.query('CREATE TABLE ledger_rows (v text, at timestamptz DEFAULT now())');
      await c.query('INSERT INTO ledger_rows (v) SELECT $1 || g FROM generate_series(1, 1000) g', [CANARY_ROW]);
    });
    const committed = Date.now();
    // archive_timeout is 60 s: the segment holding these rows is archived at most about a minute later.
    let list = listJson();
    while (Date.now() - committed < 100_000 && !(list.pitr.window && Date.parse(list.pitr.window.latest) >= committed)) {
      await new Promise((r) => setTimeout(r, 5000));
      list = listJson();
    }
    const w = list.pitr.window!;
    const lag = (Date.parse(w.latest) - committed) / 1000;
    console.log(`rows committed -> archived (window's latest) after ${lag.toFixed(1)} s`);
    expect(Date.parse(w.latest)).toBeGreaterThanOrEqual(committed);
    expect(lag).toBeLessThanOrEqual(90);
    expect(Date.parse(w.earliest)).toBeLessThan(committed);
    expect(list.pitr.base_backups).toHaveLength(1);
    expect(list.pitr.base_backups[0]).toMatchObject({ type: 'full', status: 'ok', finished_at: w.earliest });
    expect(list.pitr.archiver!.failed_count).toBe(0);
    expect(psqlOn(db1(), 'ledger', 31001, 'postgres', 'SELECT failed_count FROM pg_stat_archiver')).toBe('0');
  });

  it('backups list shows the window and the full base backup as text', () => {
    const r = ws.run(['backups', 'list', 'ledger'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Point-in-time recovery: any time from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ to \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+\./);
    expect(r.stdout).toMatch(/WAL archiving: last WAL [0-9A-F]{24} archived /);
    expect(r.stdout).toMatch(/^\d{8}-\d{6}F\s+full\s+.*\s+ok$/m);
  });

  it('drift reads the PITR state of a working add-on (archiving succeeds, a full base backup) and finds nothing', () => {
    // The failing cases (archiving that fails, no full base backup) are unit-tested on recorded answers.
    const ok = ws.run(['drift', '--format', 'text'], env);
    expect(ok.stdout + ok.stderr).not.toMatch(/WAL archiving fails|no full base backup|cannot be read/);
    expect(ok.stdout).toContain('No drift');
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
  });

  it('the repository is encrypted: every WAL segment and base backup file is ciphertext', () => {
    const files = repoFiles().filter((f) => f.endsWith('._S3rver_object') && /\/(archive|backup)\/ledger\//.test(f));
    expect(files.length).toBeGreaterThan(3);
    // pgBackRest's aes-256-cbc files are OpenSSL's salted format.
    for (const f of files) expect(readFileSync(f).subarray(0, 8).toString(), f).toBe('Salted__');
    // Secrets stay out of what dbform printed.
    const printed = ws.transcript.join('\n');
    expect(printed).not.toContain(fleet.s3.secretAccessKey);
    const pass = onDb1("sed -n 's/^repo1-cipher-pass=//p' /var/lib/dbform/.pitr/ledger/etc/conf.d/cipher.conf").stdout.trim();
    expect(pass.length).toBeGreaterThanOrEqual(16);
    expect(printed).not.toContain(pass);
  });

  it('restore --to a time, in place: the rows before it are back, what came after it is gone; plan is empty', async () => {
    const url = ws.urls('ledger', env).DATABASE_URL!;
    await asUser(url, (c) => c.query('CREATE TABLE events (n int)'));
    await asUser(url, (c) => c.query('INSERT INTO events SELECT g FROM generate_series(1, 500) g'));
    // Drift made by hand before the target, repaired by apply after it: the restore brings it back with the
    // data, and must repair it again (plan is empty right after the restore).
    psqlOn(db1(), 'ledger', 31001, 'postgres', 'ALTER ROLE ledger CREATEDB');
    await sleep(1500);
    const target = new Date();
    await sleep(1500);
    expect(ws.run(['apply', '--auto-approve'], env).stdout).toMatch(/addon\.ledger\.user\.ledger: done/);
    await asUser(url, (c) => c.query('INSERT INTO events SELECT g FROM generate_series(501, 600) g'));
    await asUser(url, (c) => c.query('DROP TABLE ledger_rows'));
    const dropped = Date.now();
    // A full base backup after the target (the weekly one may come there): this restore starts from the one
    // before the target, and the next one (on the new timeline) must not start from this one, on the timeline
    // this restore leaves.
    dockerOn(db1(), ['exec', '-u', 'postgres', 'dbform-ledger', 'pgbackrest', '--stanza=ledger', '--type=full', 'backup']);
    psqlOn(db1(), 'ledger', 31001, 'postgres', 'SELECT pg_switch_wal()'); // archived now rather than within a minute
    let list = listJson();
    while (Date.now() - dropped < 60_000 && Date.parse(list.pitr.window!.latest) < dropped) {
      await sleep(2000);
      list = listJson();
    }

    const refused = ws.run(['restore', 'ledger', '--to', target.toISOString()], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/Restore ledger in place on db-1 to .*\n {2}from full base backup \d{8}-\d{6}F/);
    expect(refused.stderr).toContain('--allow-hazards DATA_LOSS');
    const future = ws.run(['restore', 'ledger', '--to', new Date(Date.now() + 3_600_000).toISOString(), '--allow-hazards', 'DATA_LOSS'], env);
    expect(future.code).toBe(1);
    expect(future.stderr).toMatch(/is in the future; the window is \d{4}-.* to \d{4}-/);
    expect(psqlOn(db1(), 'ledger', 31001, 'ledger', 'SELECT count(*) FROM events')).toBe('600'); // untouched so far

    const r = ws.run(['restore', 'ledger', '--to', target.toISOString(), '--allow-hazards', 'DATA_LOSS'], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Users, passwords, grants and extensions are as the file says.');
    expect(psqlOn(db1(), 'ledger', 31001, 'postgres', "SELECT rolcreatedb FROM pg_roles WHERE rolname = 'ledger'")).toBe('f');
    console.log(`restore in place to a time: ${/Restored ledger in ([\d.]+) s/.exec(r.stdout)?.[1]} s`);
    expect(psqlOn(db1(), 'ledger', 31001, 'ledger', 'SELECT count(*) FROM events')).toBe('500');
    expect(psqlOn(db1(), 'ledger', 31001, 'ledger', `SELECT count(*) FROM ledger_rows WHERE v LIKE '${CANARY_ROW}%'`)).toBe('1000');
    expect(await asUser(url, async (c) => (await c.query('SELECT count(*)::int AS n FROM events')).rows[0].n)).toBe(500); // same DATABASE_URL
    const plan = ws.run(['plan', '--detailed-exitcode'], env);
    expect(plan.stdout).toContain('No changes.');
    expect(plan.code).toBe(0);
    // The replaced data directory is kept, and every plan says so until it is deleted.
    expect(plan.stdout + plan.stderr).toMatch(/ledger\/pgdata\.before-restore-\d{8}T\d{6} holds its data from before a restore/);
    // The add-on archives on its new timeline.
    psqlOn(db1(), 'ledger', 31001, 'postgres', 'SELECT pg_switch_wal()');
    let wal = '';
    for (let i = 0; i < 30 && !wal.startsWith('00000002'); i++) {
      await sleep(1000);
      wal = psqlOn(db1(), 'ledger', 31001, 'postgres', 'SELECT last_archived_wal FROM pg_stat_archiver');
    }
    expect(wal).toMatch(/^00000002/);
  });

  it('a second restore, to a time on the new timeline, works; the first restore is still in the window', async () => {
    const url = ws.urls('ledger', env).DATABASE_URL!;
    await asUser(url, (c) => c.query('INSERT INTO events SELECT g FROM generate_series(1001, 1007) g'));
    await sleep(1500);
    const target = new Date();
    await sleep(1500);
    await asUser(url, (c) => c.query('INSERT INTO events SELECT g FROM generate_series(2001, 2003) g'));
    const written = Date.now();
    psqlOn(db1(), 'ledger', 31001, 'postgres', 'SELECT pg_switch_wal()');
    let list = listJson();
    while (Date.now() - written < 60_000 && Date.parse(list.pitr.window!.latest) < written) {
      await sleep(2000);
      list = listJson();
    }
    const kept = () => onDb1('ls -d /var/lib/dbform/ledger/pgdata.before-restore-*').stdout.trim().split('\n');
    expect(kept()).toHaveLength(1); // the first restore's
    const r = ws.run(['restore', 'ledger', '--to', target.toISOString(), '--allow-hazards', 'DATA_LOSS', '--drop-previous'], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Removed the replaced data directory .*pgdata\.before-restore-\d{8}T\d{6} \(--drop-previous\)/);
    expect(kept()).toHaveLength(1); // still only the first restore's
    expect(psqlOn(db1(), 'ledger', 31001, 'ledger', 'SELECT count(*) FROM events')).toBe('507');
    expect(psqlOn(db1(), 'ledger', 31001, 'postgres', 'SELECT timeline_id FROM pg_control_checkpoint()')).toBe('3');
    const plan = ws.run(['plan', '--detailed-exitcode'], env);
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('a replay that cannot reach its target (WAL gone from the repository) puts the old data back; the add-on runs on it', async () => {
    const url = ws.urls('ledger', env).DATABASE_URL!;
    // The segments after this one will leave the repository; the ones before it hold the full base backup the
    // last restore took (after pg_switch_wal, the rows below are written in later segments).
    const kept = psqlOn(db1(), 'ledger', 31001, 'postgres', 'SELECT pg_walfile_name(pg_current_wal_lsn())');
    psqlOn(db1(), 'ledger', 31001, 'postgres', 'SELECT pg_switch_wal()');
    await asUser(url, (c) => c.query('INSERT INTO events SELECT g FROM generate_series(3001, 3004) g'));
    await sleep(1500);
    const target = new Date();
    await sleep(1500);
    await asUser(url, (c) => c.query('INSERT INTO events SELECT g FROM generate_series(4001, 4002) g'));
    const written = Date.now();
    psqlOn(db1(), 'ledger', 31001, 'postgres', 'SELECT pg_switch_wal()');
    while (Date.now() - written < 60_000 && Date.parse(listJson().pitr.window!.latest) < written) await sleep(2000);
    // The later segments of the current timeline (3) leave the repository: the target is in the window the
    // add-on reports (its archiver), but no replay can reach it.
    const segments = repoFiles().filter((f) => /\/archive\/ledger\/[^/]+\/00000003[0-9A-F]{8}\/00000003[0-9A-F]{16}-/.test(f) && basename(f).slice(0, 24) > kept);
    expect(segments.length).toBeGreaterThan(0);
    for (const f of segments) rmSync(f);
    const before = onDb1('ls -d /var/lib/dbform/ledger/pgdata.before-restore-*').stdout;

    const r = ws.run(['restore', 'ledger', '--to', target.toISOString(), '--allow-hazards', 'DATA_LOSS'], env);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/restore of ledger failed while replaying to the target; its previous data is back in place and it runs on it: .*recovery ended before configured recovery target was reached/);
    expect(psqlOn(db1(), 'ledger', 31001, 'ledger', 'SELECT count(*) FROM events')).toBe('513'); // 507 + 4 + 2
    await asUser(url, (c) => c.query('INSERT INTO events VALUES (5001)'));
    // The failed copy is gone; the data directory kept by the first restore is still there, and no other.
    expect(onDb1('ls -d /var/lib/dbform/ledger/pgdata.*').stdout).toBe(before);
    const plan = ws.run(['plan', '--detailed-exitcode'], env);
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('another repository (a local directory on the host): a new stanza and full base backup there, encrypted', () => {
    ws.write(config(true, 'local'));
    const plan = ws.run(['plan'], env);
    expect(plan.stdout).toMatch(/~ addon\.ledger\.pitr_base/);
    expect(plan.stdout).toContain(`${LOCAL_REPO}/.pgbackrest/ledger:/var/lib/pgbackrest`);
    const r = ws.run(['apply', '--auto-approve', '--allow-hazards', 'RESTART'], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const list = listJson();
    expect(list.pitr.base_backups).toHaveLength(1);
    expect(list.pitr.window).not.toBeNull();
    // Every WAL segment and base backup file in the directory: the first 8 bytes of each, one per line.
    const heads = onDb1(`find ${LOCAL_REPO}/.pgbackrest/ledger/archive ${LOCAL_REPO}/.pgbackrest/ledger/backup -type f -exec sh -c 'head -c 8 "$1"; echo' _ {} \\;`);
    const lines = heads.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) expect(l).toBe('Salted__');
    const again = ws.run(['plan', '--detailed-exitcode'], env);
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
  });

  it('pitr: false removes the settings and archiving (BACKUPS_DISABLED, RESTART); the repository is kept', () => {
    ws.write(config(false));
    const plan = ws.run(['plan'], env);
    expect(plan.stdout).toContain('BACKUPS_DISABLED');
    expect(plan.stdout).toContain('RESTART');
    const r = ws.run(['apply', '--auto-approve', '--allow-hazards', 'BACKUPS_DISABLED,RESTART'], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(onDb1('ls /var/lib/dbform/.pitr/ledger /etc/cron.d/dbform-pitr-ledger 2>&1').stdout).toMatch(/No such file.*\n.*No such file/);
    expect(psqlOn(db1(), 'ledger', 31001, 'postgres', "SELECT current_setting('archive_mode')")).toBe('off');
    expect(repoFiles().length).toBeGreaterThan(3);
    const again = ws.run(['plan', '--detailed-exitcode'], env);
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
  });
});
