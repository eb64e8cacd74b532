import { describe, expect, it } from 'vitest';
import type { DesiredAddon } from '../../src/resources/model.js';
import { diffPitr, type ObservedPitr } from '../../src/resources/pitr/diff.js';
import { diffPitrBase, pitrBaseWarnings } from '../../src/resources/pitr-base/diff.js';
import { pitrBaseKind } from '../../src/resources/pitr-base/kind.js';
import { buildPlan } from '../../src/plan/build.js';
import type { DesiredFleet, ObservedFleet } from '../../src/gather/gather.js';
import { desired } from './fixtures.js';

// The two PITR kinds' diffs on plain data: settings files compared by hash, the passphrase file by verdict,
// the stanza by its marker.

const CONF = '/var/lib/dbform/.pitr/shop/etc/pgbackrest.conf';
const CRON = '/etc/cron.d/dbform-pitr-shop';

function withPitr(): DesiredAddon {
  const d = desired();
  d.pitr = {
    ...d.pitr,
    enabled: true,
    files: {
      [CONF]: { content: 'repo1-s3-key={{env:K}}\n', mode: '600', sha256: 'c0nf' },
      [CRON]: { content: '15 2,3 * * * root true\n', mode: '644', sha256: 'cr0n' },
    },
    marker: { path: '/var/lib/dbform/.pitr/shop/stanza.ok', content: 'stanza=shop\n', sha256: 'm4rk' },
    summary: { storage: 'main (s3 bucket b)', schedule: 'weekly', retention: 'any second of the last 7 days' },
  };
  return d;
}

const inSync: ObservedPitr = { files: { [CONF]: 'c0nf', [CRON]: 'cr0n' }, cipher: 'matches', installed: true };
const empty: ObservedPitr = { files: { [CONF]: null, [CRON]: null }, cipher: 'missing', installed: false };

describe('pitr diff', () => {
  it('nothing on the host -> create, every file, the passphrase named by its keystore entry', () => {
    const [c, ...rest] = diffPitr(withPitr(), empty);
    expect(rest).toEqual([]);
    expect(c).toMatchObject({ address: 'addon.shop.pitr', action: 'create', hazards: [] });
    expect(c!.steps).toHaveLength(1);
    const step = c!.steps[0]!;
    expect(step.type).toBe('pitr.install');
    expect(Object.keys(step.files as object).sort()).toEqual([CRON, CONF].sort());
    expect(step.passphrase).toEqual({ source: 'keystore', key: 'addon/shop/pitr-passphrase', generate: true });
    expect(step.cipherPath).toBe('/var/lib/dbform/.pitr/shop/etc/conf.d/cipher.conf');
  });

  it('in sync -> nothing', () => {
    expect(diffPitr(withPitr(), inSync)).toEqual([]);
  });

  it('one file edited -> update of that file only, no passphrase', () => {
    const [c] = diffPitr(withPitr(), { ...inSync, files: { ...inSync.files, [CRON]: 'edited' } });
    expect(c).toMatchObject({ action: 'update', reason: 'out of date on the host: dbform-pitr-shop' });
    expect(Object.keys(c!.steps[0]!.files as object)).toEqual([CRON]);
    expect(c!.steps[0]!.passphrase).toBeUndefined();
  });

  it('a passphrase file that is not the keystore one -> rewritten', () => {
    const [c] = diffPitr(withPitr(), { ...inSync, cipher: 'differs' });
    expect(c).toMatchObject({ action: 'update', reason: 'out of date on the host: cipher.conf' });
    expect(c!.steps[0]!.files).toEqual({});
    expect(c!.steps[0]!.passphrase).toMatchObject({ source: 'keystore', generate: true });
  });

  it('pitr turned off on an add-on that had it -> delete with BACKUPS_DISABLED; never had it -> nothing', () => {
    const [c] = diffPitr(desired(), inSync);
    expect(c).toMatchObject({ action: 'delete', after: null });
    expect(c!.hazards.map((h) => h.code)).toEqual(['BACKUPS_DISABLED']);
    expect(c!.steps).toEqual([{ type: 'pitr.remove', addon: 'shop', stateDir: '/var/lib/dbform/.pitr/shop', cronPath: CRON }]);
    expect(diffPitr(desired(), empty)).toEqual([]);
  });
});

describe('pitr-base diff', () => {
  it('no marker -> stanza and first full backup; same marker -> nothing; another repository -> again', () => {
    const d = withPitr();
    const [c] = diffPitrBase(d, null);
    expect(c).toMatchObject({ address: 'addon.shop.pitr_base', action: 'create', hazards: [] });
    expect(c!.steps).toEqual([{ type: 'pitr.init', addon: 'shop', container: 'dbform-shop', stanza: 'shop', marker: d.pitr.marker }]);
    expect(diffPitrBase(d, 'm4rk')).toEqual([]);
    expect(diffPitrBase(d, 'other')[0]).toMatchObject({ action: 'update' });
    expect(diffPitrBase(desired(), null)).toEqual([]);
  });

  it('archiving that fails is a plan warning (no change repairs it); none when it works or PITR is off', () => {
    const d = withPitr();
    const failing = { marker: 'm4rk', archivingFailingSince: '2026-11-30T10:00:00.000Z' };
    expect(pitrBaseWarnings(d, failing)).toEqual([
      'add-on shop: WAL archiving fails since 2026-11-30T10:00:00.000Z: a restore reaches the last archived segment at most; see dbform backups list shop',
    ]);
    expect(pitrBaseWarnings(d, { marker: 'm4rk', archivingFailingSince: null })).toEqual([]);
    expect(pitrBaseWarnings(desired(), failing)).toEqual([]);
    // Through plan building: a warning of a host that was read, none for a host left out.
    const placed = { key: 'shop', host: d.host, addon: 'shop', desired: d };
    const fleet: DesiredFleet = new Map([['pitr-base', [placed]]]);
    const observed = (hosts: string[]): ObservedFleet => ({ hosts, declared: { 'pitr-base': { shop: failing } }, undeclared: {}, stopped: [], fingerprint: 'f' });
    const plan = buildPlan({ file: 'databases.yaml', sha256: 's' }, fleet, observed([d.host]), [pitrBaseKind as never]);
    expect(plan.changes).toEqual([]);
    expect(plan.warnings).toEqual(pitrBaseWarnings(d, failing));
    expect(buildPlan({ file: 'databases.yaml', sha256: 's' }, fleet, observed([]), [pitrBaseKind as never]).warnings).toEqual([]);
  });
});
