import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/plan/types.js';
import { adoptionSql, describeInto } from '../../src/resources/pitr/restore-into.js';
import { addonChanges } from '../../src/restore/apply-addon.js';

// `restore --to --into NEW` when NEW is highly available, as plain data: the SQL that makes SOURCE's copy NEW's,
// the text said before anything is done, and which of apply's changes make NEW.

const SUPERUSER = 'superuser-password-in-clear-1';
const REPLICATION = 'replication-password-in-clear-2';

describe('adoptionSql', () => {
  const single = adoptionSql('shop', 'shop-copy', SUPERUSER);
  const cluster = adoptionSql('shop', 'shop-copy', SUPERUSER, { replicationRole: 'replicator', replicationPassword: REPLICATION });

  it('renames SOURCE\'s database and owner to NEW\'s and sets the superuser\'s password as a SCRAM verifier', () => {
    for (const text of [single, cluster]) {
      expect(text).toContain('ALTER DATABASE "shop" RENAME TO "shop-copy";');
      expect(text).toContain('ALTER ROLE "shop" RENAME TO "shop-copy";');
      expect(text).toMatch(/ALTER ROLE postgres PASSWORD 'SCRAM-SHA-256\$4096:[^']+';/);
    }
  });

  it('a single NEW gets no replication role and keeps what Patroni would own', () => {
    expect(single).not.toContain('REPLICATION');
    expect(single).not.toContain('ALTER SYSTEM');
  });

  it('a cluster NEW: Patroni\'s replication role, made after every other role was dropped, its password a verifier', () => {
    expect(cluster).toMatch(/CREATE ROLE "replicator" WITH LOGIN REPLICATION PASSWORD 'SCRAM-SHA-256\$4096:[^']+';/);
    expect(cluster.indexOf('CREATE ROLE "replicator"')).toBeGreaterThan(cluster.lastIndexOf("EXECUTE format('DROP ROLE %I'"));
    // SOURCE's settings and pgBackRest's recovery target go: Patroni owns NEW's (a replica would stop at the target).
    expect(cluster).toContain('ALTER SYSTEM RESET ALL;');
  });

  it('never carries a password in clear', () => {
    for (const text of [single, cluster]) {
      expect(text).not.toContain(SUPERUSER);
      expect(text).not.toContain(REPLICATION);
    }
  });
});

describe('describeInto', () => {
  it('a single NEW: the line restore printed before', () => {
    expect(describeInto('shop', 'shop-copy', ['db-3'])).toBe('  shop-copy is created on db-3 from it (no initdb), then made as the file says; shop is only read.');
  });

  it('a cluster NEW names its members: the preferred one gets the data, the other clones it', () => {
    const text = describeInto('shop', 'shop-copy', ['db-1', 'db-2']);
    expect(text).toContain('its member on db-1 from it (no initdb; the primary)');
    expect(text).toContain('then db-2 clones it (the synchronous replica), with a gateway on each of db-1, db-2');
    expect(text).toContain('keys of an earlier shop-copy left in the consensus store, if any, are deleted first');
    expect(text).toContain('shop is only read');
  });
});

describe('addonChanges', () => {
  const change = (address: string, kind: string, addon: string, action: Change['action']): Change =>
    ({ address, kind, addon, action, host: 'db-1', reason: '', before: {}, after: {}, hazards: [], steps: [] }) as Change;
  const plan = [
    change('consensus.etcd.db-3', 'etcd', '', 'create'),
    change('consensus.etcd.db-4', 'etcd', '', 'update'),
    change('addon.shop-copy.patroni.db-1', 'patroni', 'shop-copy', 'create'),
    change('addon.shop-copy.gateway.db-2', 'gateway', 'shop-copy', 'create'),
    change('addon.other.container', 'container', 'other', 'create'),
  ];

  it('NEW\'s changes and the consensus store\'s creation; never a change to a running store or another add-on', () => {
    expect(addonChanges(plan, 'shop-copy').map((c) => c.address)).toEqual(['consensus.etcd.db-3', 'addon.shop-copy.patroni.db-1', 'addon.shop-copy.gateway.db-2']);
  });
});
