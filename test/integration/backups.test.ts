import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, filesUnder, fleetDown, fleetUp, hostsYaml, psqlOn, s3StorageYaml } from './fleet-harness.js';
import { Workspace, asUser } from './harness.js';

// Backups end to end on the fleet: an S3 endpoint over TLS (s3rver, its own namespace), the add-on on
// an SSH host, cron on that host, and dbform reading the bucket from this machine.

let fleet: Fleet;
const ws = new Workspace();
const CANARY_ROW = 'canary-row-5e2b71c0';
let env: Record<string, string>;
let cronAt: DateTime;

function config(withVault = true, vaultPlan = 'postgresql-starter-256'): string {
  const vault = `  vault:
    plan: ${vaultPlan}
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    host: db-1
    port: 31001
    backups:
      scheduleAt: "${cronAt.toFormat('HH:mm')} UTC"
`;
  return `version: 1
hosts:
${hostsYaml(fleet)}${s3StorageYaml(fleet.s3)}defaults:
  storage: main
addons:
${withVault ? vault : ''}  other:
    plan: postgresql-sandbox
    host: db-2
    port: 31001
`;
}

const db1 = () => fleet.hosts.find((h) => h.name === 'db-1')!;

function backups(args: string[]) {
  return ws.run(['backups', ...args], env);
}

const storedFiles = () => filesUnder(fleet.s3.dataDir);

beforeAll(() => {
  fleet = fleetUp(3);
  env = { S3_ACCESS_KEY_ID: fleet.s3.accessKeyId, S3_SECRET_ACCESS_KEY: fleet.s3.secretAccessKey, NODE_NO_WARNINGS: '1' };
  // A schedule two minutes ahead: the real cron of db-1 takes one backup while the other tests run.
  cronAt = DateTime.utc().plus({ minutes: 2 }).startOf('minute'); // 60 to 120 s ahead
  ws.write(config());
  const r = ws.run(['apply', '--auto-approve'], env);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toContain('addon.vault.backups: done');
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('backups to S3', () => {
  it('plan is empty after apply; the cron file is on the host', () => {
    const r = ws.run(['plan', '--detailed-exitcode'], env);
    expect(r.stdout).toContain('No changes.');
    expect(r.code).toBe(0);
    const cron = spawnSync('nsenter', ['-t', String(db1().pid), '-m', 'cat', '/etc/cron.d/dbform-vault'], { encoding: 'utf8' });
    expect(cron.stdout).toMatch(new RegExp(`^${cronAt.minute} ${cronAt.hour} \\* \\* \\* root `, 'm'));
    expect(cron.stdout).toContain('/var/lib/dbform/.bin/dbform-backup /var/lib/dbform/.backup/vault/backup.env daily');
  });

  it('a manual backup, downloaded and restored with pg_restore, has the marker rows; nothing is stored in clear', async () => {
    const url = ws.urls('vault', env).DATABASE_URL!;
    await asUser(url, async (c) => {
      await c.query('CREATE TABLE marker (v text)');
      await c.query('INSERT INTO marker SELECT $1 || g FROM generate_series(1, 1000) g', [CANARY_ROW]);
    });
    const created = backups(['create', 'vault']);
    expect(created.code, created.stdout + created.stderr).toBe(0);
    const id = /Backup (\S+) finished/.exec(created.stdout)![1]!;
    const list = backups(['list', 'vault']);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\S+\\s+[\\d.]+ KB\\s+manual\\s+ok`));

    const file = join(ws.dir, 'vault.dump');
    const dl = backups(['download', 'vault', '--backup', id, '--out', file]);
    expect(dl.code, dl.stderr).toBe(0);
    expect(dl.stdout).toContain('checksum verified');
    psqlOn(db1(), 'vault', 31001, 'postgres', 'CREATE DATABASE scratch OWNER vault');
    const restore = spawnSync('pg_restore', ['--no-owner', '--no-privileges', '-d', url.replace(/\/vault$/, '/scratch'), file], { encoding: 'utf8' });
    expect(restore.status, restore.stderr).toBe(0);
    expect(psqlOn(db1(), 'vault', 31001, 'scratch', `SELECT count(*) FROM marker WHERE v LIKE '${CANARY_ROW}%'`)).toBe('1000');

    const stored = storedFiles();
    for (const f of stored) expect(readFileSync(f).includes(CANARY_ROW), f).toBe(false);
    // pg_dump compresses, so the check above alone proves little: every stored dump must be age ciphertext,
    // and the negative control (the decrypted dump rendered as SQL) does hold the rows in clear.
    const objects = stored.filter((f) => f.endsWith('.dump.age._S3rver_object'));
    expect(objects.length).toBeGreaterThan(0);
    for (const f of objects) expect(readFileSync(f).subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    const sql = spawnSync('pg_restore', ['-f', '-', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(sql.stdout).toContain(CANARY_ROW);
  });

  it('one flipped byte in the stored object makes verify fail, naming the backup', () => {
    const id = /^(\S+-manual-\S+)/m.exec(backups(['list', 'vault']).stdout)![1]!;
    expect(backups(['verify', 'vault', '--backup', id]).code).toBe(0);
    const object = join(fleet.s3.dataDir, fleet.s3.bucket, 'vault', `${id}.dump.age._S3rver_object`); // s3rver's file
    const bytes = readFileSync(object);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    writeFileSync(object, bytes);
    const r = backups(['verify', 'vault', '--backup', id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`backup ${id} of vault is damaged`);
  });

  it('the manual-backup cap of the plan is enforced (starter: 10), by the host right after each backup', () => {
    const pruned: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = backups(['create', 'vault']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      pruned.push(...[...r.stdout.matchAll(/^Pruned (\S+) /gm)].map((m) => m[1]!));
    }
    expect(pruned).toHaveLength(1); // 11 manual backups made, the oldest one pruned on the host
    const manual = backups(['list', 'vault']).stdout.split('\n').filter((l) => / manual /.test(l));
    expect(manual).toHaveLength(10);
  });

  it('cron on the host takes the daily backup at the scheduled minute', async () => {
    const deadline = cronAt.plus({ seconds: 150 });
    let daily = '';
    // Looks at least once: on a slow machine the tests before this one may end after the deadline, when the
    // backup taken at the scheduled minute is already listed.
    for (;;) {
      daily = backups(['list', 'vault']).stdout.split('\n').find((l) => / daily\s+ok/.test(l)) ?? '';
      if (daily || DateTime.utc() >= deadline) break;
      await new Promise((r) => setTimeout(r, 5000));
    }
    expect(daily, 'no daily backup appeared').toMatch(/daily\s+ok/);
  });

  it('a failed backup leaves a failed record and no object; older backups are untouched', () => {
    const before = backups(['list', 'vault']).stdout;
    spawnSync('docker', ['-H', db1().dockerHost, 'stop', 'dbform-vault'], { stdio: 'ignore' });
    const r = backups(['create', 'vault']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the backup failed on host db-1: .*backup \S+-manual-\S+ of vault failed/);
    const failedId = /backup (\S+-manual-\S+) of vault failed/.exec(r.stderr)![1]!;
    const after = backups(['list', 'vault']).stdout;
    expect(after).toMatch(new RegExp(`${failedId}\\s.*manual\\s+failed`));
    expect(storedFiles().some((f) => f.includes(`${failedId}.dump.age`))).toBe(false);
    for (const line of before.split('\n').slice(1)) expect(after).toContain(line.split(' ')[0]!);
    expect(ws.run(['apply', '--auto-approve'], env).code).toBe(0); // starts the instance again
  });

  it('a smaller retention is a planned change: the backups it no longer keeps are named, with DATA_LOSS', () => {
    const okManual = () => backups(['list', 'vault']).stdout.split('\n').filter((l) => / manual\s+ok/.test(l)).map((l) => l.split(' ')[0]!);
    ws.write(config(true, 'postgresql-business-512'));
    expect(ws.run(['apply', '--auto-approve', '--allow-hazards', 'RESTART'], env).code).toBe(0);
    expect(backups(['create', 'vault']).code).toBe(0); // an 11th manual backup: the business plan keeps 50
    const before = okManual();
    expect(before).toHaveLength(11);

    ws.write(config());
    const plan = ws.run(['plan', '--detailed-exitcode'], env);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('- addon.vault.retention');
    expect(plan.stdout).toMatch(/DATA_LOSS: \d+ backups? of vault that the retention in place keeps (is|are) deleted: .*-manual-/);
    expect(plan.stdout).toContain(before.at(-1)!); // the oldest manual backup is the one named
    const refused = ws.run(['apply', '--auto-approve', '--allow-hazards', 'RESTART'], env);
    expect(refused.code).toBe(1);
    expect(okManual()).toEqual(before); // nothing was deleted

    const applied = ws.run(['apply', '--auto-approve', '--allow-hazards', 'RESTART,DATA_LOSS'], env);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain('addon.vault.retention: done');
    expect(okManual()).toEqual(before.slice(0, 10));
    const again = ws.run(['plan', '--detailed-exitcode'], env);
    expect(again.stdout).toContain('No changes.');
    expect(again.code).toBe(0);
  });

  it('backups of an add-on removed from the file are kept: they still list and download', () => {
    ws.write(config(false));
    expect(ws.run(['apply', '--auto-approve', '--allow-hazards', 'DATA_LOSS'], env).code).toBe(0);
    const list = backups(['list', 'vault']);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n').filter((l) => / ok/.test(l)).length).toBeGreaterThanOrEqual(10);
    const dl = backups(['download', 'vault', '--out', join(ws.dir, 'after-removal.dump')]);
    expect(dl.code, dl.stderr).toBe(0);
    const toc = spawnSync('pg_restore', ['-l', join(ws.dir, 'after-removal.dump')], { encoding: 'utf8' });
    expect(toc.stdout).toContain('TABLE public marker');
  });
});
