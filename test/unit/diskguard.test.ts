import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { diffDiskGuard, diskGuardWarnings, isDiskFullWarning, type ObservedDiskGuard } from '../../src/resources/diskguard/diff.js';
import { desiredDiskGuard, guardCronPath, reserveMb } from '../../src/resources/diskguard/settings.js';
import { cronPath as backupCronPath } from '../../src/resources/backups/settings.js';
import { diffUsers } from '../../src/resources/users/diff.js';
import type { AddonConfig, HostConfig } from '../../src/config/types.js';
import { parseProbe, probeCommand } from '../../src/status/probe.js';
import { desired, syncedCatalog, usersIn } from './fixtures.js';

// The disk-full guard: its diff and warnings (plain data), what it renders, and the threshold logic of the
// real host program (host/dbform-diskguard.sh, run by dash with fake du, df and docker on its PATH).

const SCRIPT = fileURLToPath(new URL('../../host/dbform-diskguard.sh', import.meta.url));
const d = desired();
const files = d.diskGuard.files;
const SCRIPT_PATH = '/var/lib/dbform/.bin/dbform-diskguard';
const inSync = (): ObservedDiskGuard => ({ files: Object.fromEntries(Object.entries(files).map(([p, f]) => [p, f.sha256])), readOnly: null });

describe('diskguard diff', () => {
  it('nothing on the host -> create with its three files, no hazard', () => {
    const changes = diffDiskGuard(d, { files: {}, readOnly: null });
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ address: 'addon.shop.diskguard', action: 'create', before: null, hazards: [] });
    expect(Object.keys(changes[0]!.steps[0]!.files as object).sort()).toEqual(Object.keys(files).sort());
  });

  it('the program already there for another add-on, not this one\'s cron file -> still a create', () => {
    const changes = diffDiskGuard(d, { files: { [SCRIPT_PATH]: files[SCRIPT_PATH]!.sha256 }, readOnly: null });
    expect(changes[0]).toMatchObject({ action: 'create' });
    expect(Object.keys(changes[0]!.steps[0]!.files as object).sort()).toEqual(Object.keys(files).filter((p) => p !== SCRIPT_PATH).sort());
  });

  it('in sync -> nothing; the program edited by hand -> update of that file only', () => {
    expect(diffDiskGuard(d, inSync())).toEqual([]);
    const edited = inSync();
    edited.files[SCRIPT_PATH] = 'f'.repeat(64);
    const changes = diffDiskGuard(d, edited);
    expect(changes[0]).toMatchObject({ action: 'update', reason: 'out of date on the host: dbform-diskguard' });
    expect(Object.keys(changes[0]!.steps[0]!.files as object)).toEqual([SCRIPT_PATH]);
  });

  it('read-only roles are no change to undo, but a warning with the guard\'s reason', () => {
    const ro: ObservedDiskGuard = { ...inSync(), readOnly: { roles: ['shop', 'writer'], note: 'read-only since 2026-11-30T16:05:00Z: its data directory uses 290 MB of its 300 MB disk (96 %); writable again below 90 %' } };
    expect(diffDiskGuard(d, ro)).toEqual([]);
    const [warning, ...rest] = diskGuardWarnings(d, ro);
    expect(rest).toEqual([]);
    expect(warning).toContain('add-on shop is read-only because its disk is full (shop, writer)');
    expect(warning).toContain('290 MB of its 300 MB disk (96 %)');
    expect(warning).toContain('SET default_transaction_read_only = off');
    expect(diskGuardWarnings(d, inSync())).toEqual([]); // negative control
    // drift alerts on it (exit 2), and on no other warning
    expect(isDiskFullWarning(warning!)).toBe(true);
    expect(isDiskFullWarning('add-on shop: no good backup for 30 hours')).toBe(false);
  });

  it('the users kind does not fight it: a read-only managed role with the guard\'s note is in sync', () => {
    const catalog = syncedCatalog(d);
    for (const r of catalog.roles) Object.assign(r, { readOnly: true, note: 'read-only since 2026-11-30T16:05:00Z: full' });
    expect(diffUsers(d, usersIn(catalog))).toEqual([]);
  });
});

describe('what the guard renders', () => {
  const host = { name: 'db-1', dataDir: '/srv/dbform' } as HostConfig;
  const addon = { name: 'shop', host: 'db-1', port: 31001, diskMb: 300 } as AddonConfig;
  const g = desiredDiskGuard(addon, host);

  it('the quota from disk:, the data directory it measures, no secret; cron every minute', () => {
    expect(g.files['/srv/dbform/.diskguard/shop/guard.env']!.content).toMatch(/^QUOTA_MB=300$/m);
    expect(g.files['/srv/dbform/.diskguard/shop/guard.env']!.content).toMatch(/^DATA_DIR=\/srv\/dbform\/shop$/m);
    expect(g.files['/srv/dbform/.diskguard/shop/guard.env']!.content).not.toMatch(/PASSWORD|{{env:/i);
    expect(g.files['/etc/cron.d/dbform_disk-shop']!.content).toMatch(
      /^\* \* \* \* \* root \/srv\/dbform\/\.bin\/dbform-diskguard \/srv\/dbform\/\.diskguard\/shop\/guard\.env >\/dev\/null 2>&1$/m,
    );
    expect(g.summary).toMatchObject({ disk: '300 MB', read_only_at: '95 %', writable_below: '90 %' });
    expect(g.files['/srv/dbform/.diskguard/shop/guard.env']!.content).toMatch(/^RESERVE_MB=15$/m);
    expect([reserveMb(256), reserveMb(640), reserveMb(1024), reserveMb(65536)]).toEqual([12, 32, 32, 32]);
  });

  it('its cron file never meets another add-on\'s backup schedule (add-on names have no underscore)', () => {
    expect(guardCronPath('disk-shop')).not.toBe(backupCronPath('disk-shop'));
    expect(guardCronPath('shop')).not.toBe(backupCronPath('disk-shop'));
    expect(guardCronPath('shop').split('/').pop()).toMatch(/^[A-Za-z0-9_-]+$/); // run-parts names: cron ignores others
  });
});

function sh(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string } {
  const r = spawnSync('dash', [SCRIPT, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout.trim() };
}

describe('the host program: thresholds', () => {
  it('parses as POSIX sh (dash)', () => {
    expect(spawnSync('dash', ['-n', SCRIPT]).status).toBe(0);
  });

  it('read-only from 95 %, writable again below 90 %, the mode kept in between (hysteresis)', () => {
    const table: Array<[string, number, string]> = [
      ['read-write', 0, 'read-write'], ['read-write', 94, 'read-write'], ['read-write', 95, 'read-only'], ['read-write', 100, 'read-only'],
      ['read-only', 95, 'read-only'], ['read-only', 90, 'read-only'], ['read-only', 89, 'read-write'], ['read-only', 0, 'read-write'],
    ];
    for (const [mode, pct, want] of table) expect(sh(['decide', mode, String(pct)]).stdout, `${mode} at ${pct} %`).toBe(want);
    // A disk filling up, then emptied: one switch each way, none while it wanders between the thresholds.
    let mode = 'read-write';
    const seen = [50, 94, 96, 93, 91, 90, 89, 93, 94, 95].map((pct) => (mode = sh(['decide', mode, String(pct)]).stdout));
    expect(seen).toEqual(['read-write', 'read-write', 'read-only', 'read-only', 'read-only', 'read-only', 'read-write', 'read-write', 'read-write', 'read-only']);
  });

  it('percent rounds down: 94.99 % is not yet 95 %, 89.99 % is below 90 %; an empty total counts as full', () => {
    expect(sh(['percent', '9499', '10000']).stdout).toBe('94');
    expect(sh(['percent', '8999', '10000']).stdout).toBe('89');
    expect(sh(['percent', '95', '100']).stdout).toBe('95');
    expect(sh(['percent', '5', '0']).stdout).toBe('100');
  });
});

describe('the host program: one run with fake du, df and docker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dbform-guard-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const fake = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  fake('du', 'printf "%s\\t%s\\n" "$FAKE_DU_KB" "$3"');
  fake('df', 'echo "Filesystem 1024-blocks Used Available Capacity Mounted"; echo "/dev/x $((FAKE_FS_USED + FAKE_FS_AVAIL)) $FAKE_FS_USED $FAKE_FS_AVAIL 1% /"');
  // psql's answer to the count query: "read-only roles|writable roles". Every statement psql gets (-c, one or
  // two per call) is logged in order, and each docker call in FAKE_LOG.calls.
  fake('docker', 'prev=; for a; do [ "$prev" = -c ] && printf "%s\\n---\\n" "$a" >>"$FAKE_LOG"; prev=$a; last=$a; done; echo call >>"$FAKE_LOG.calls"; case $last in *"count(*) FILTER"*) echo "$FAKE_COUNTS";; esac');
  const conf = join(dir, 'guard.env');
  writeFileSync(conf, `# test\nADDON=shop\nCONTAINER=dbform-shop\nPORT=31001\nDATA_DIR=${dir}/shop\nQUOTA_MB=300\n`);

  function run(duMb: number, counts: string, fs: { used: number; avail: number } = { used: 1, avail: 1_000_000 }, guardEnv = conf) {
    const log = join(dir, `log-${Math.random()}`);
    writeFileSync(log, '');
    const r = spawnSync('dash', [SCRIPT, guardEnv], {
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH}`, FAKE_DU_KB: String(duMb * 1024), FAKE_FS_USED: String(fs.used), FAKE_FS_AVAIL: String(fs.avail), FAKE_COUNTS: counts, FAKE_LOG: log },
    });
    const status = Object.fromEntries(readFileSync(join(dir, 'status'), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const calls = readFileSync(`${log}.calls`, 'utf8').trim().split('\n').length;
    return { code: r.status, sql: readFileSync(log, 'utf8').split('\n---\n').filter(Boolean), calls, status };
  }

  it('below the threshold nothing changes: one read of the roles, no switch (negative control)', () => {
    const r = run(280, '0|3'); // 93 %
    expect(r.code).toBe(0);
    expect(r.sql).toHaveLength(1);
    expect(r.status).toMatchObject({ PERCENT: '93', MODE: 'read-write', ERROR: '' });
  });

  it('at 95 % of the quota: every writable managed role is made read-only with the reason, then its sessions end', () => {
    const r = run(285, '0|3'); // 95 %
    expect(r.code).toBe(0);
    expect(r.sql).toHaveLength(3);
    expect(r.sql[1]).toContain("EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', r.rolname)");
    expect(r.sql[1]).toMatch(/dbform:managed; read-only since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: its data directory uses 285 MB of its 300 MB disk \(95 %\); writable again below 90 %/);
    expect(r.sql[1]).toContain('NOT coalesce(s.setconfig'); // only those not read-only yet
    expect(r.sql[2]).toContain('pg_terminate_backend');
    // The switch and the end of the sessions in one psql session, the second right after the first commits: a
    // session opened in between (with the new default) is not ended.
    expect(r.calls).toBe(2);
    expect(r.status).toMatchObject({ PERCENT: '95', MODE: 'read-only' });
  });

  it('a filesystem nearly full switches too, whatever the quota says', () => {
    const r = run(10, '0|3', { used: 960, avail: 40 });
    expect(r.sql[1]).toContain('the filesystem of its data directory is 96 % full');
    expect(r.status).toMatchObject({ PERCENT: '96', FS_PERCENT: '96', MODE: 'read-only' });
  });

  it('read-only between the thresholds stays so; below 90 % every read-only role is made writable again', () => {
    expect(run(280, '3|0').sql).toHaveLength(1); // 93 %: kept read-only, nothing to do
    const back = run(269, '3|0'); // 89 %
    expect(back.sql).toHaveLength(3);
    expect(back.sql[1]).toContain("EXECUTE format('ALTER ROLE %I RESET default_transaction_read_only', r.rolname)");
    expect(back.sql[1]).toContain('$n$dbform:managed$n$');
    expect(back.status).toMatchObject({ PERCENT: '89', MODE: 'read-write' });
  });

  it('a role created while read-only (one writable, two not) is switched at the next run', () => {
    expect(run(280, '2|1').sql[1]).toContain('SET default_transaction_read_only = on');
  });

  describe('the reserve held for PostgreSQL\'s WAL', () => {
    const withReserve = join(dir, 'reserve.env');
    writeFileSync(withReserve, `ADDON=shop\nCONTAINER=dbform-shop\nPORT=31001\nDATA_DIR=${dir}/shop\nQUOTA_MB=300\nRESERVE_MB=15\n`);
    mkdirSync(join(dir, 'shop'));
    const reserve = join(dir, 'shop', 'dbform-reserve');
    const held = () => spawnSync('stat', ['-c', '%s', reserve], { encoding: 'utf8' }).stdout.trim();

    it('is made where there is room (15 MB: 5 % of this disk), and not when it would bring the disk near 90 %', () => {
      run(258, '0|3', undefined, withReserve); // 86 %: with the reserve 91 %, so not yet
      expect(held()).toBe('');
      run(150, '0|3', undefined, withReserve);
      expect(held()).toBe(String(15 * 1024 * 1024));
    });

    it('goes when under one WAL file (16 MB) is left on the filesystem, so that PostgreSQL can start', () => {
      run(150, '3|0', { used: 1_000_000, avail: 20_000 }, withReserve); // 20 MB left: kept
      expect(held()).toBe(String(15 * 1024 * 1024));
      const r = run(150, '3|0', { used: 1_000_000, avail: 10_000 }, withReserve);
      expect(held()).toBe('');
      expect(r.status).toMatchObject({ MODE: 'read-only' }); // read-only all the same
    });
  });
});

describe('dbform status reads what the guard last found', () => {
  const addons = [{ name: 'shop', dataDir: '/var/lib/dbform/shop', pitr: false }];

  it('asks for the status file beside the add-on\'s directory, and reads it back', () => {
    expect(probeCommand(addons)).toContain('cat /var/lib/dbform/.diskguard/shop/status 2>/dev/null');
    const p = parseProbe('@@cgroup 2\n@@guard shop\nCHECKED=2026-11-30T16:05:00Z\nUSED_KB=294000\nPERCENT=95\nMODE=read-only\nERROR=\n', addons);
    expect(p.guard.get('shop')).toMatchObject({ MODE: 'read-only', PERCENT: '95', CHECKED: '2026-11-30T16:05:00Z', ERROR: '' });
    expect(parseProbe('@@cgroup 2\n@@guard shop\n', addons).guard.has('shop')).toBe(false); // never ran
  });
});
