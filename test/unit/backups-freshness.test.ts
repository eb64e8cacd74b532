import { describe, expect, it } from 'vitest';
import { lateBackups } from '../../src/resources/backups/freshness.js';
import type { BackupManifest } from '../../src/resources/backups/manifest.js';

const now = new Date('2026-11-22T12:00:00Z');
const m = (id: string, startedAt: string, status: BackupManifest['status'] = 'ok'): BackupManifest => ({ id, addon: 'shop', kind: 'daily', status, startedAt });

describe('late backups (drift)', () => {
  it('a good backup of 25 hours ago is on time, one of 27 hours ago is late', () => {
    expect(lateBackups('shop', [m('a', '2026-11-21T11:00:00Z')], null, now)).toBeNull();
    expect(lateBackups('shop', [m('a', '2026-11-21T09:00:00Z')], null, now)).toBe('add-on shop: the last good backup (a) is older than 26 hours');
  });
  it('failed and running backups do not count as good ones', () => {
    const history = [m('old', '2026-11-20T01:00:00Z'), m('failed', '2026-11-22T01:00:00Z', 'failed'), m('running', '2026-11-22T11:00:00Z', 'running')];
    expect(lateBackups('shop', history, null, now)).toMatch(/last good backup \(old\)/);
  });
  it('no backup yet is late only once the schedule has existed for 26 hours', () => {
    expect(lateBackups('shop', [], new Date('2026-11-22T01:00:00Z'), now)).toBeNull();
    expect(lateBackups('shop', [], new Date('2026-11-20T01:00:00Z'), now)).toMatch(/no successful backup/);
    expect(lateBackups('shop', [], null, now)).toBeNull();
  });
});
