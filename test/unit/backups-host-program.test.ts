// The backup program's JavaScript half (src/resources/backups/host/program.ts), as cron runs it on a host after each
// backup: manifests written through the storage, retention judged on what the storage lists. A storage in
// memory stands for rclone (the integration test runs the real one against S3).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HostStorage, runHostCommand } from '../../src/resources/backups/host/program.js';
import { type BackupManifest, parseManifests, renderManifest } from '../../src/resources/backups/manifest.js';
import { type BackupRecord, keptBackups } from '../../src/resources/backups/retention.js';
// @ts-expect-error: a plain ES module without types
import { bundleHostProgram } from '../../scripts/bundle-host.mjs';

class MemoryStorage implements HostStorage {
  readonly files = new Map<string, string>();
  readManifests(): string {
    return [...this.files].filter(([k]) => k.endsWith('.json')).sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => v).join('');
  }
  writeManifest(id: string, text: string): void {
    this.files.set(`${id}.json`, text);
  }
  deleteObject(id: string): boolean {
    return this.files.delete(`${id}.dump.age`);
  }
  deleteManifest(id: string): void {
    if (!this.files.delete(`${id}.json`)) throw new Error(`no manifest ${id}`);
  }
  /** A stored backup as dbform-backup leaves it: its object (unless failed or running) and its manifest. */
  static of(records: BackupRecord[]): MemoryStorage {
    const s = new MemoryStorage();
    for (const r of records) {
      const m: BackupManifest = { id: r.id, addon: 'shop', kind: r.kind, status: r.status, startedAt: r.startedAt, ...(r.status === 'ok' ? { verified: r.verified } : {}) };
      s.writeManifest(r.id, renderManifest(m));
      if (r.status === 'ok') s.files.set(`${r.id}.dump.age`, 'age-encryption.org/v1...');
    }
    return s;
  }
}

type Policy = { daily: number; weekly: number; monthly: number; manual: number };
const STARTER: Policy = { daily: 7, weekly: 4, monthly: 0, manual: 10 };

function backupEnv(policy: Policy, timezone = 'UTC'): Record<string, string> {
  return {
    ADDON: 'shop', HOST_NAME: 'db-1', TIMEZONE: timezone,
    RETENTION_DAILY: String(policy.daily), RETENTION_WEEKLY: String(policy.weekly),
    RETENTION_MONTHLY: String(policy.monthly), RETENTION_MANUAL: String(policy.manual),
  };
}

function hostPrune(storage: MemoryStorage, policy: Policy, zone: string, now: number): string[] {
  return runHostCommand(['prune'], backupEnv(policy, zone), storage, new Date(now)).map((l) => l.replace(/^pruned /, ''));
}

describe('retention on the host', () => {
  it('prunes per the starter plan in a readable case, deleting object and manifest', () => {
    const day = (d: number, kind: 'daily' | 'manual' = 'daily'): BackupRecord => ({
      id: `${kind}-${d}`, addon: 'shop', kind, status: 'ok', verified: true, startedAt: `2026-11-${String(d).padStart(2, '0')}T00:00:00Z`,
    });
    const history = [...Array.from({ length: 20 }, (_, i) => day(i + 1)), ...Array.from({ length: 12 }, (_, i) => day(i + 1, 'manual'))];
    const storage = MemoryStorage.of(history);
    const pruned = hostPrune(storage, STARTER, 'UTC', Date.parse('2026-11-20T12:00:00Z'));
    expect(pruned).toEqual(keptBackups(history, STARTER, { now: '2026-11-20T12:00:00Z', timezone: 'UTC' }).prune.map((p) => p.id));
    expect(pruned).toContain('manual-1');
    expect(pruned).toContain('manual-2');
    expect(pruned).not.toContain('manual-3');
    expect(pruned).not.toContain('daily-20');
    for (const id of pruned) expect(storage.files.has(`${id}.json`) || storage.files.has(`${id}.dump.age`)).toBe(false);
    expect(parseManifests(storage.readManifests())).toHaveLength(history.length - pruned.length);
    expect(storage.files.has('daily-20.dump.age')).toBe(true);
  });

  it('a backup "running" for a day or more died: it is pruned like a failed one once a newer good one exists', () => {
    const rec = (id: string, status: BackupRecord['status'], startedAt: string): BackupRecord => ({ id, addon: 'shop', kind: 'manual', status, verified: status === 'ok', startedAt });
    const history = [rec('dead', 'running', '2026-11-19T00:00:00Z'), rec('busy', 'running', '2026-11-20T00:00:00Z'), rec('good', 'ok', '2026-11-19T12:00:00Z')];
    expect(hostPrune(MemoryStorage.of(history), STARTER, 'UTC', Date.parse('2026-11-20T12:00:00Z'))).toEqual(['dead']);
  });

  it('decides what dbform decides on random histories, zones, policies and clocks (through the stored manifests)', () => {
    const START = Date.parse('2025-10-01T00:00:00Z');
    const SPAN = 500 * 86_400_000;
    const record = fc.record({
      offset: fc.integer({ min: 0, max: SPAN / 1000 }),
      kind: fc.constantFrom<'daily' | 'manual'>('daily', 'daily', 'manual'),
      status: fc.constantFrom<'ok' | 'failed' | 'running'>('ok', 'ok', 'ok', 'failed', 'running'),
      verified: fc.boolean(),
    });
    const policy = fc.record({ daily: fc.integer({ min: 0, max: 8 }), weekly: fc.integer({ min: 0, max: 9 }), monthly: fc.integer({ min: 0, max: 13 }), manual: fc.integer({ min: 0, max: 12 }) });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 120 }), fc.constantFrom('Europe/Paris', 'America/New_York', 'UTC', 'Australia/Lord_Howe'), policy, fc.integer({ min: 0, max: SPAN / 1000 }), (raw, zone, p, nowOffset) => {
        const now = START + nowOffset * 1000;
        const records: BackupRecord[] = raw.map((r, i) => ({
          id: `b${String(i).padStart(3, '0')}`, addon: 'shop', kind: r.kind, status: r.status,
          verified: r.status === 'ok' && r.verified, startedAt: new Date(START + r.offset * 1000).toISOString().replace(/\.000Z$/, 'Z'),
        }));
        const expected = keptBackups(records, p, { now: new Date(now).toISOString(), timezone: zone }).prune.map((x) => x.id);
        expect(hostPrune(MemoryStorage.of(records), p, zone, now)).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('refuses to prune with a missing or unreadable retention (never "keep nothing")', () => {
    const storage = MemoryStorage.of([{ id: 'a', addon: 'shop', kind: 'manual', status: 'ok', verified: true, startedAt: '2026-11-01T00:00:00Z' }]);
    const env = backupEnv(STARTER);
    const { RETENTION_MANUAL: _m, ...missing } = env;
    expect(() => runHostCommand(['prune'], missing, storage, new Date())).toThrow(/RETENTION_MANUAL is not set/);
    expect(() => runHostCommand(['prune'], { ...env, RETENTION_DAILY: '-1' }, storage, new Date())).toThrow(/not a count/);
    expect(() => runHostCommand(['prune'], { ...env, TIMEZONE: 'Mars/Olympus' }, storage, new Date())).toThrow(/time zone/);
    expect(storage.files.size).toBe(2);
  });
});

describe('manifests written on the host', () => {
  const env = { ...backupEnv(STARTER), ID: '20261120T010000Z-manual-abc123', KIND: 'manual', STARTED: '2026-11-20T01:00:00Z', PG_VERSION: '15.18' };
  const at = new Date('2026-11-20T01:00:09.123Z');
  const stored = (s: MemoryStorage) => parseManifests(s.readManifests());

  it('start, then ok: verified when the stored size is the streamed size', () => {
    const s = new MemoryStorage();
    runHostCommand(['start'], env, s, at);
    expect(stored(s)).toEqual([{ id: env.ID, addon: 'shop', kind: 'manual', status: 'running', startedAt: env.STARTED, host: 'db-1', pgVersion: '15.18', format: 'pg_dump-custom+age' }]);
    const sha = 'c0'.repeat(32);
    runHostCommand(['ok', sha, '4096', '4096'], env, s, at);
    expect(stored(s)).toEqual([{ ...stored(s)[0], status: 'ok', endedAt: '2026-11-20T01:00:09Z', size: 4096, sha256: sha, verified: true }]);
    runHostCommand(['ok', sha, '4096', '4000'], env, s, at);
    expect(stored(s)[0]!.verified).toBe(false);
    runHostCommand(['ok', sha, '4096'], env, s, at); // the storage did not report a size
    expect(stored(s)[0]!.verified).toBe(false);
  });

  it('failed: removes the partial object and keeps the failure on record', () => {
    const s = new MemoryStorage();
    s.files.set(`${env.ID}.dump.age`, 'partial');
    runHostCommand(['failed'], { ...env, PG_VERSION: '' }, s, at);
    expect(s.files.has(`${env.ID}.dump.age`)).toBe(false);
    expect(stored(s)).toEqual([{ id: env.ID, addon: 'shop', kind: 'manual', status: 'failed', startedAt: env.STARTED, host: 'db-1', format: 'pg_dump-custom+age', endedAt: '2026-11-20T01:00:09Z' }]);
  });

  it('rejects malformed upload results, kinds and commands, writing nothing', () => {
    const s = new MemoryStorage();
    expect(() => runHostCommand(['ok', 'nothex', '12', '12'], env, s, at)).toThrow(/expected SHA256 SIZE/);
    expect(() => runHostCommand(['ok', 'c0'.repeat(32)], env, s, at)).toThrow(/expected SHA256 SIZE/);
    expect(() => runHostCommand(['start'], { ...env, KIND: 'hourly' }, s, at)).toThrow(/neither daily nor manual/);
    expect(() => runHostCommand(['start'], { ...env, ID: '../x' }, s, at)).toThrow(/not a backup id/);
    expect(() => runHostCommand(['restore'], env, s, at)).toThrow(/usage/);
    expect(s.files.size).toBe(0);
  });
});

describe('the bundle (dbform-backup.cjs)', () => {
  it('is one self-contained file for Node 18 that runs with no node_modules next to it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbform-host-'));
    try {
      const text: string = await bundleHostProgram();
      expect(text).not.toMatch(/require\("(luxon|\.\.?\/)/);
      const file = join(dir, 'dbform-backup.cjs');
      writeFileSync(file, text);
      const usage = spawnSync(process.execPath, [file], { encoding: 'utf8', cwd: dir });
      expect(usage.status).toBe(2);
      expect(usage.stderr).toContain('usage: dbform-backup.cjs start');
      const noEnv = spawnSync(process.execPath, [file, 'prune'], { encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH } });
      expect(noEnv.status).toBe(1);
      expect(noEnv.stderr).toContain('DEST and ADDON must be set');
      expect(await bundleHostProgram()).toBe(text); // deterministic: the plan compares it by SHA-256
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
