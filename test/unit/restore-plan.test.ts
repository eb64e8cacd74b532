import { describe, expect, it } from 'vitest';
import { refusedHazards } from '../../src/apply/gate.js';
import type { BackupManifest } from '../../src/resources/backups/manifest.js';
import { renderText } from '../../src/render/text.js';
import { buildRestorePlan, restoreDatabaseNames, type RestoreInput } from '../../src/restore/plan.js';
import { nearestIds, pickRestorableBackup } from '../../src/restore/pick.js';
import { desired } from './fixtures.js';

// The restore plan and the choice of backup, as plain data: what a restore will do before it does it.

const NOW = new Date('2026-03-01T10:15:00.123Z');
const backup = (id: string, status: BackupManifest['status'] = 'ok'): BackupManifest => ({
  id,
  addon: 'shop',
  kind: 'manual',
  status,
  startedAt: '2026-02-28T01:00:00Z',
  size: 123456,
  pgVersion: '15.6',
});

function input(over: Partial<RestoreInput> = {}): RestoreInput {
  return {
    config: { file: 'databases.yaml', sha256: 'c0ffee' },
    source: 'shop',
    backup: backup('20260228T010000Z-manual-abc123'),
    target: desired(),
    observed: { serverVersion: '15.6 (Debian 15.6-0+deb12u1)', tables: 3 },
    now: NOW,
    dropPrevious: false,
    ...over,
  };
}

describe('restore plan', () => {
  it('in place: one change addon.shop.restore with DATA_LOSS, naming the backup, the target and what is kept', () => {
    const plan = buildRestorePlan(input());
    expect(plan.changes).toHaveLength(1);
    const c = plan.changes[0]!;
    expect(c).toMatchObject({ address: 'addon.shop.restore', kind: 'restore', host: 'local', addon: 'shop', action: 'replace' });
    expect(c.hazards).toEqual([
      {
        code: 'DATA_LOSS',
        message:
          'the data of database shop on local:31001 (3 tables) is replaced by backup 20260228T010000Z-manual-abc123; it is kept as database shop__before_restore_20260301t101500',
      },
    ]);
    expect(c.after).toMatchObject({ backup_taken_at: '2026-02-28T01:00:00Z', backup_size_bytes: 123456, database: 'shop on local:31001' });
    expect(plan.instances).toEqual({ shop: { host: 'local', port: 31001 } });
    expect(refusedHazards(plan, new Set()).map((h) => h.code)).toEqual(['DATA_LOSS']);
    expect(refusedHazards(plan, new Set(['DATA_LOSS']))).toEqual([]);
    const text = renderText(plan, { color: false });
    expect(text).toContain('addon.shop.restore');
    expect(text).toMatch(/~ data: +"current data \(3 tables\)" -> "backup 20260228T010000Z-manual-abc123 of shop"/);
    expect(text).toContain('Hazards: DATA_LOSS.');
  });

  it('the steps: create beside, load, check, swap, converge; --drop-previous adds the drop, last', () => {
    const types = (p: RestoreInput) => buildRestorePlan(p).changes[0]!.steps.map((s) => s.type);
    expect(types(input())).toEqual(['sql', 'restore.load', 'restore.check', 'restore.swap', 'instance.converge']);
    const steps = buildRestorePlan(input({ dropPrevious: true })).changes[0]!.steps;
    expect(steps.map((s) => s.type)).toEqual(['sql', 'restore.load', 'restore.check', 'restore.swap', 'instance.converge', 'sql']);
    expect(steps[0]!.statements).toEqual([`CREATE DATABASE "shop__restore_20260301t101500" OWNER "shop" ENCODING 'UTF8' TEMPLATE template0`]);
    expect(steps[1]).toMatchObject({ database: 'shop__restore_20260301t101500', owner: 'shop', container: 'dbform-shop', port: 31001, source: 'shop', backup: '20260228T010000Z-manual-abc123' });
    expect(steps[3]).toMatchObject({ database: 'shop', restored: 'shop__restore_20260301t101500', previous: 'shop__before_restore_20260301t101500' });
    expect(steps[5]!.statements).toEqual(['DROP DATABASE "shop__before_restore_20260301t101500"']);
    expect(buildRestorePlan(input({ dropPrevious: true })).changes[0]!.hazards[0]!.message).toContain('dropped once the restore succeeded');
  });

  it('of a highly available add-on: pg_restore goes through the gateway (the primary), a single instance\'s through its socket', () => {
    const load = (over: Partial<RestoreInput>) => buildRestorePlan(input(over)).changes[0]!.steps[1]!;
    expect(load({}).throughGateway).toBeUndefined();
    expect(load({ target: { ...desired(), ha: { members: ['db-1', 'db-2'] } } })).toMatchObject({ throughGateway: true, port: 31001 });
  });

  it('into another add-on: no hazard while its database has no table, DATA_LOSS once it has', () => {
    const into = (tables: number) => buildRestorePlan(input({ source: 'vault', observed: { serverVersion: '15.2', tables } })).changes[0]!;
    expect(into(0)).toMatchObject({ action: 'update', hazards: [], reason: 'restore backup 20260228T010000Z-manual-abc123 of vault into database shop on local:31001' });
    expect(into(1).hazards.map((h) => h.code)).toEqual(['DATA_LOSS']);
    expect(into(1).action).toBe('replace');
  });

  it('another major version is refused; a manifest without a version is not', () => {
    expect(() => buildRestorePlan(input({ observed: { serverVersion: '16.1', tables: 0 } }))).toThrow(/PostgreSQL 15, add-on shop runs PostgreSQL 16/);
    expect(() => buildRestorePlan(input({ backup: { ...backup('x'), pgVersion: undefined }, observed: { serverVersion: '16.1', tables: 0 } }))).not.toThrow();
  });

  it('the plan holds no secret and is the same for the same input', () => {
    expect(buildRestorePlan(input())).toEqual(buildRestorePlan(input()));
    expect(JSON.stringify(buildRestorePlan(input()))).not.toMatch(/password"\s*:\s*"(?!\w+_)/i);
  });

  it('database names fit PostgreSQL identifiers (63 bytes) whatever the add-on name', () => {
    const long = 'a'.repeat(63);
    const { scratch, previous } = restoreDatabaseNames(long, NOW);
    expect(scratch).toHaveLength(63);
    expect(previous).toHaveLength(63);
    expect(scratch.endsWith('__restore_20260301t101500')).toBe(true);
    expect(previous.endsWith('__before_restore_20260301t101500')).toBe(true);
    expect(scratch).not.toBe(previous);
  });
});

describe('choosing the backup', () => {
  const list = [backup('20260228T010000Z-daily-aaa111'), backup('20260227T010000Z-daily-bbb222'), backup('20260226T120000Z-manual-ccc333', 'failed'), backup('20260301T090000Z-manual-ddd444', 'running')];

  it('an ok backup is picked by its id', () => {
    expect(pickRestorableBackup(list, '20260227T010000Z-daily-bbb222', 'shop', 'main').id).toBe('20260227T010000Z-daily-bbb222');
  });

  it('an unknown id lists the nearest ones', () => {
    expect(() => pickRestorableBackup(list, '20260228T010000Z-daily-aaa112', 'shop', 'main (s3 bucket b)')).toThrow(
      'add-on shop has no backup 20260228T010000Z-daily-aaa112 in main (s3 bucket b); the nearest: 20260228T010000Z-daily-aaa111, 20260227T010000Z-daily-bbb222, ',
    );
    expect(() => pickRestorableBackup([], 'x', 'shop', 'main')).toThrow('add-on shop has no backup x in main; it has no backups at all');
    expect(nearestIds(['abc', 'abd', 'xyz'], 'abe', 2)).toEqual(['abd', 'abc']);
  });

  it('a failed or running backup is refused, saying which', () => {
    expect(() => pickRestorableBackup(list, '20260226T120000Z-manual-ccc333', 'shop', 'main')).toThrow(/cannot be restored: it is a failed backup/);
    expect(() => pickRestorableBackup(list, '20260301T090000Z-manual-ddd444', 'shop', 'main')).toThrow(/cannot be restored: it is still being written/);
  });
});
