import { describe, expect, it } from 'vitest';
import { diffGrants } from '../../src/resources/grants/diff.js';
import { diffDatabase } from '../../src/resources/database/diff.js';
import { desired, syncedCatalog } from './fixtures.js';

const statements = (c: ReturnType<typeof diffGrants>[number]) => c.steps.flatMap((s) => s.statements as string[]);

describe('grants diff', () => {
  it('nothing to do when every role holds exactly its access level', () => {
    const d = desired();
    expect(diffGrants(d, syncedCatalog(d, 300, 50))).toEqual([]);
  });

  it('grants everything on a fresh database, with default privileges for every writer', () => {
    const d = desired();
    const changes = diffGrants(d, null);
    expect(changes.map((c) => [c.address, c.action])).toEqual([
      ['addon.shop.grants.shop', 'create'],
      ['addon.shop.grants.reporting', 'create'],
      ['addon.shop.grants.writer', 'create'],
    ]);
    const ro = statements(changes[1]!);
    expect(ro).toContain('GRANT CONNECT ON DATABASE "shop" TO "reporting"');
    expect(ro).toContain('GRANT USAGE ON SCHEMA public TO "reporting"');
    expect(ro).toContain('GRANT SELECT ON ALL TABLES IN SCHEMA public TO "reporting"');
    expect(ro).toContain('GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO "reporting"');
    expect(ro).toContain('ALTER DEFAULT PRIVILEGES FOR ROLE "shop" IN SCHEMA public GRANT SELECT ON TABLES TO "reporting"');
    expect(ro).toContain('ALTER DEFAULT PRIVILEGES FOR ROLE "writer" IN SCHEMA public GRANT SELECT ON SEQUENCES TO "reporting"');
    const rw = statements(changes[2]!);
    expect(rw).toContain('GRANT USAGE, CREATE ON SCHEMA public TO "writer"');
    expect(rw).toContain('GRANT ALL PRIVILEGES ON DATABASE "shop" TO "writer"');
    expect(rw).toContain('GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA public TO "writer"');
    expect(rw).toContain('ALTER DEFAULT PRIVILEGES FOR ROLE "shop" IN SCHEMA public GRANT ALL PRIVILEGES ON TABLES TO "writer"');
    expect(rw.join('\n')).not.toMatch(/FOR ROLE "writer"/); // no default privileges for oneself
  });

  it('finds one table revoked by hand among 300 and repairs all in one change', () => {
    const d = desired();
    const cat = syncedCatalog(d, 300, 50);
    cat.roles.find((r) => r.name === 'reporting')!.tables = { SELECT: 299, '': 1 };
    const changes = diffGrants(d, cat);
    expect(changes.map((c) => c.address)).toEqual(['addon.shop.grants.reporting']);
    expect(changes[0]!.before!.tables).toBe('1 none; 299 SELECT');
    expect(changes[0]!.steps).toHaveLength(1); // one transaction
  });

  it('revokes extra privileges of a read-only user', () => {
    const d = desired();
    const cat = syncedCatalog(d);
    cat.roles.find((r) => r.name === 'reporting')!.tables = { 'INSERT,SELECT': 3 };
    const ro = statements(diffGrants(d, cat)[0]!);
    expect(ro.indexOf('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "reporting"')).toBeLessThan(
      ro.indexOf('GRANT SELECT ON ALL TABLES IN SCHEMA public TO "reporting"'),
    );
  });

  it('notices a missing default privilege', () => {
    const d = desired();
    const cat = syncedCatalog(d);
    cat.defaultAcls = cat.defaultAcls.filter((a) => !(a.grantee === 'reporting' && a.forRole === 'shop' && a.objtype === 'tables'));
    expect(diffGrants(d, cat).map((c) => c.address)).toEqual(['addon.shop.grants.reporting']);
  });
});

describe('database diff', () => {
  it('creates the database outside a transaction, owned by the add-on owner', () => {
    const [c] = diffDatabase(desired(), null);
    expect(c!.steps[0]).toMatchObject({ type: 'sql', database: 'postgres', transaction: false });
    expect(c!.steps[0]!.statements).toEqual([`CREATE DATABASE "shop" OWNER "shop" ENCODING 'UTF8' TEMPLATE template0`]);
  });
  it('gives the database back to its owner', () => {
    const d = desired();
    const cat = { ...syncedCatalog(d), databaseOwner: 'postgres' };
    expect(diffDatabase(d, cat)[0]!.steps[0]!.statements).toEqual(['ALTER DATABASE "shop" OWNER TO "shop"']);
  });
  it('nothing to do when it exists with the right owner', () => {
    const d = desired();
    expect(diffDatabase(d, syncedCatalog(d))).toEqual([]);
  });
});
