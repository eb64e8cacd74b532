import { describe, expect, it } from 'vitest';
import { diffContainer } from '../../src/resources/container/diff.js';
import { parseDataDirSection, parseImages, parseInspect, withImages } from '../../src/resources/container/gather.js';
import { keptDataWarnings } from '../../src/resources/container/upgrade-diff.js';
import { diffPitrBase } from '../../src/resources/pitr-base/diff.js';
import { markerContent } from '../../src/resources/pitr/desired.js';
import { sha256Hex } from '../../src/util/canonical.js';
import type { DesiredAddon, ObservedContainer } from '../../src/resources/model.js';
import { desired, runningContainer } from './fixtures.js';

// Minor and major upgrades as the container kind plans them, from plain observed data.

const OLD = 'sha256:aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111';
const NEW = 'sha256:bbbbbbbbbbbb2222222222222222222222222222222222222222222222222222';

function onImage(d: DesiredAddon, facts: Partial<ObservedContainer>): ObservedContainer {
  return { ...runningContainer(d), imageId: OLD, imageVersion: '15.13', tagImageId: OLD, tagVersion: '15.13', dataVersion: '15', keptData: [], ...facts };
}

function at17(d: DesiredAddon = desired()): DesiredAddon {
  return { ...d, container: { ...d.container, image: 'dbform-postgresql:17', version: '17' } };
}

describe('minor upgrade: the image name points to another image', () => {
  const d = desired();
  it('same image ID -> nothing to do', () => {
    expect(diffContainer(d, onImage(d, {}))).toEqual([]);
  });
  it('a newer 15.x under the same name -> RESTART with both versions, data kept', () => {
    const [c, ...rest] = diffContainer(d, onImage(d, { tagImageId: NEW, tagVersion: '15.14' }));
    expect(rest).toEqual([]);
    expect(c!.reason).toBe('image dbform-postgresql:15 (15.13 -> 15.14)');
    expect(c!.hazards).toEqual([{ code: 'RESTART', message: 'shop is restarted on the new image (PostgreSQL 15.13 -> 15.14); its clients are disconnected until it is back (data is kept)' }]);
    expect(c!.before).toMatchObject({ image_id: OLD, postgresql: '15.13' });
    expect(c!.after).toMatchObject({ image_id: NEW, postgresql: '15.14' });
    expect(c!.steps.map((s) => [s.type, s.image])).toEqual([['container.ensure', 'dbform-postgresql:15']]);
  });
  it('a rebuild with the same version (or no label) -> RESTART naming the image IDs', () => {
    for (const facts of [{ tagImageId: NEW }, { tagImageId: NEW, imageVersion: null, tagVersion: null }]) {
      const [c] = diffContainer(d, onImage(d, facts));
      expect(c!.reason).toBe('image dbform-postgresql:15 rebuilt (aaaaaaaaaaaa -> bbbbbbbbbbbb)');
      expect(c!.hazards.map((h) => h.code)).toEqual(['RESTART']);
    }
  });
  it('a name that is gone from the host, or a recording without image facts -> nothing to do', () => {
    expect(diffContainer(d, onImage(d, { tagImageId: null }))).toEqual([]);
    expect(diffContainer(d, runningContainer(d))).toEqual([]);
  });
  it('another image name shows the running version', () => {
    const [c] = diffContainer(d, onImage(d, { image: 'dbform-postgresql:15-old' }));
    expect(c!.reason).toBe('image dbform-postgresql:15-old (15.13) -> dbform-postgresql:15');
  });
});

describe('major upgrade', () => {
  it('data at 15, version 17 -> one MAJOR_UPGRADE change: dump/restore step, backup first, old data kept', () => {
    const base = desired();
    const d = at17({ ...base, backups: { ...base.backups, enabled: true, summary: { schedule: 'daily', storage: 's3 main' } } });
    const changes = diffContainer(d, onImage(d, { image: 'dbform-postgresql:15' }));
    expect(changes).toHaveLength(1);
    const c = changes[0]!;
    expect(c.reason).toMatch(/^PostgreSQL 15 -> 17 \(major upgrade: dump and restore into a new data directory\); image dbform-postgresql:15 \(15.13\) -> dbform-postgresql:17$/);
    expect(c.hazards.map((h) => h.code)).toEqual(['MAJOR_UPGRADE']);
    expect(c.hazards[0]!.message).toMatch(/s of downtime per GB/);
    expect(c.hazards[0]!.message).toContain('a backup is taken first (s3 main)');
    expect(c.hazards[0]!.message).toContain('kept at /var/lib/dbform/shop/pgdata.pg15');
    expect(c.steps).toHaveLength(1);
    expect(c.steps[0]).toMatchObject({
      type: 'container.upgrade', image: 'dbform-postgresql:17', fromVersion: '15', oldImage: OLD, dataDir: '/var/lib/dbform/shop',
      backupEnv: '/var/lib/dbform/.backup/shop/backup.env', backupScript: '/var/lib/dbform/.bin/dbform-backup',
    });
  });
  it('without backups the plan says none is taken', () => {
    const d = at17();
    const [c] = diffContainer(d, onImage(d, {}));
    expect(c!.hazards[0]!.message).toContain('no backup is taken first');
    expect(c!.steps[0]).not.toHaveProperty('backupEnv');
  });
  it('data already at 17 on the 17 image -> nothing to do', () => {
    const d = at17();
    expect(diffContainer(d, onImage(d, { dataVersion: '17' }))).toEqual([]);
  });
  it('a downgrade (data at 17, version 15) is an error naming the add-on', () => {
    const d = desired();
    expect(() => diffContainer(d, onImage(d, { dataVersion: '17' }))).toThrow(/^add-on shop: version "15" is older than its data \(PostgreSQL 17\): a major version cannot be downgraded/);
  });
  it('kept data directories are warnings (the plan stays empty)', () => {
    const d = at17();
    const o = onImage(d, { dataVersion: '17', keptData: ['pgdata.pg15'] });
    expect(diffContainer(d, o)).toEqual([]);
    expect(keptDataWarnings(d, o)).toEqual([expect.stringMatching(/^add-on shop: \/var\/lib\/dbform\/shop\/pgdata.pg15 holds its data from before a major upgrade/)]);
    const restored = onImage(d, { keptData: ['pgdata.before-restore-20261130T162153'] });
    expect(keptDataWarnings(d, restored)).toEqual([expect.stringMatching(/^add-on shop: \/var\/lib\/dbform\/shop\/pgdata.before-restore-20261130T162153 holds its data from before a restore, kept so that the restore can be undone/)]);
  });
});

describe('PITR after a major upgrade', () => {
  const identity = 'stanza=shop\nrepo1-type=s3\n';
  function withPitr(d: DesiredAddon): DesiredAddon {
    const content = markerContent(identity, d.container.version);
    return { ...d, pitr: { ...d.pitr, enabled: true, summary: { storage: 's3', schedule: 'weekly', retention: '7d' }, marker: { ...d.pitr.marker, content, sha256: sha256Hex(content) } } };
  }
  it('the marker of the same repository at 15 -> stanza-upgrade and a new full backup', () => {
    const d = withPitr(at17());
    const [c] = diffPitrBase(d, sha256Hex(markerContent(identity, '15')));
    expect(c!.reason).toBe('shop was upgraded from PostgreSQL 15: stanza-upgrade and a new full base backup');
    expect(c!.steps[0]).toMatchObject({ type: 'pitr.init', stanzaUpgrade: true });
  });
  it('15 keeps its marker content (no re-init of existing stanzas); another repository is not an upgrade', () => {
    expect(markerContent(identity, '15')).toBe(identity);
    const d = withPitr(at17());
    expect(diffPitrBase(d, d.pitr.marker.sha256)).toEqual([]);
    const [other] = diffPitrBase(d, sha256Hex('stanza=shop\nrepo1-type=posix\n'));
    expect(other!.steps[0]).not.toHaveProperty('stanzaUpgrade');
  });
});

describe('gathering image and data facts', () => {
  it('reads what the container runs and what its name points to now', () => {
    const containers = parseInspect(JSON.stringify([{
      Name: '/dbform-shop', Image: OLD,
      Config: { Image: 'dbform-postgresql:15', Labels: { 'dbform.managed': 'true', 'dbform.addon': 'shop' }, Cmd: ['postgres'] },
      HostConfig: { Memory: 0, Binds: ['/d/shop:/var/lib/dbform'] }, State: { Status: 'running', Running: true },
    }]));
    const images = parseImages([
      `{"id":"${OLD}","tags":[],"labels":{"dbform.postgres.version":"15.13"}}`,
      `{"id":"${NEW}","tags":["dbform-postgresql:15"],"labels":{"dbform.postgres.version":"15.14","dbform.recipe":"x"}}`,
      '{"id":"sha256:cc","tags":["other:1"],"labels":null}',
    ].join('\n'));
    withImages(containers, images);
    expect(containers.get('shop')).toMatchObject({ imageId: OLD, imageVersion: '15.13', tagImageId: NEW, tagVersion: '15.14' });
  });
  it('reads the data directory section: settings, PG_VERSION, kept directories', () => {
    const c = { ...runningContainer(desired()), settings: { port: '1' } };
    expect(parseDataDirSection(c, "log_min_duration_statement = '1000'\n@PG_VERSION 17\n@KEPT pgdata.pg15\n")).toEqual({
      settings: { port: '1', log_min_duration_statement: '1000' }, dataVersion: '17', keptData: ['pgdata.pg15'],
    });
    expect(parseDataDirSection(c, '@PG_VERSION \n')).toMatchObject({ dataVersion: null, keptData: [] });
  });
});

describe('grants on PostgreSQL 17 (ALL PRIVILEGES includes MAINTAIN there)', () => {
  const with17 = (privs: string) => privs.replace('INSERT,REFERENCES', 'INSERT,MAINTAIN,REFERENCES');
  it('writers holding MAINTAIN on 17 are in sync; on 15 the same catalog is not; a 15 catalog planned for 17 is', async () => {
    const { diffGrants } = await import('../../src/resources/grants/diff.js');
    const { syncedCatalog } = await import('./fixtures.js');
    const d17 = at17();
    const c15 = syncedCatalog(d17);
    const c17 = {
      ...c15,
      serverMajor: '17',
      roles: c15.roles.map((r) => ({ ...r, tables: Object.fromEntries(Object.entries(r.tables).map(([k, n]) => [with17(k), n])) })),
      defaultAcls: c15.defaultAcls.map((a) => ({ ...a, privs: with17(a.privs) })),
    };
    expect(diffGrants(d17, c17)).toEqual([]);
    expect(diffGrants(desired(), { ...c17, serverMajor: '15' }).map((c) => c.address)).toEqual(['addon.shop.grants.shop', 'addon.shop.grants.writer']);
    // The upgrade's plan reads the 15 server: no grants change rides along with MAJOR_UPGRADE.
    expect(diffGrants(d17, { ...c15, serverMajor: '15' })).toEqual([]);
    // A read-only user with MAINTAIN granted by hand is drift on 17 too.
    const ro = { ...c17, roles: c17.roles.map((r) => (r.name === 'reporting' ? { ...r, tables: { 'MAINTAIN,SELECT': 3 } } : r)) };
    expect(diffGrants(d17, ro).map((c) => c.address)).toEqual(['addon.shop.grants.reporting']);
  });
});
