import { describe, expect, it } from 'vitest';
import { diffUsers } from '../../src/resources/users/diff.js';
import { scramVerifier, verifierMatches } from '../../src/resources/users/scram.js';
import { passwordState } from '../../src/resources/users/gather.js';
import { desired, passwordOf, role, syncedCatalog, usersIn } from './fixtures.js';

const allStatements = (changes: ReturnType<typeof diffUsers>) =>
  changes.flatMap((c) => c.steps.flatMap((s) => (Array.isArray(s.statements) ? (s.statements as string[]) : [])));

describe('users diff', () => {
  it('nothing to do when roles are as declared', () => {
    const d = desired();
    expect(diffUsers(d, usersIn(syncedCatalog(d)))).toEqual([]);
  });

  it('creates every declared role on a fresh instance, never with escalating attributes', () => {
    const d = desired();
    const changes = diffUsers(d, usersIn(null));
    expect(changes.map((c) => [c.address, c.action])).toEqual([
      ['addon.shop.user.shop', 'create'],
      ['addon.shop.user.reporting', 'create'],
      ['addon.shop.user.writer', 'create'],
    ]);
    const create = allStatements(changes).filter((s) => s.startsWith('CREATE ROLE'));
    expect(create).toHaveLength(3);
    for (const s of create) expect(s).toMatch(/NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS$/);
    expect(changes.every((c) => c.steps.some((s) => s.type === 'role.password'))).toBe(true);
  });

  it('reverts SUPERUSER granted by hand', () => {
    const d = desired();
    const cat = syncedCatalog(d);
    cat.roles[1]!.superuser = true;
    const changes = diffUsers(d, usersIn(cat));
    expect(changes).toHaveLength(1);
    expect(changes[0]!.action).toBe('update');
    expect(allStatements(changes)).toEqual(['ALTER ROLE "reporting" NOSUPERUSER']);
  });

  it('revokes a membership granted by hand (e.g. pg_write_all_data)', () => {
    const d = desired();
    const cat = syncedCatalog(d);
    cat.roles[1]!.memberOf = ['pg_write_all_data'];
    expect(allStatements(diffUsers(d, usersIn(cat)))).toEqual(['REVOKE "pg_write_all_data" FROM "reporting"']);
  });

  it('resets a password changed by hand and leaves a matching one alone', async () => {
    const d = desired();
    const cat = syncedCatalog(d);
    cat.roles[2]!.verifier = scramVerifier('changed-by-hand');
    // What gather concludes from the verifiers and the passwords dbform holds:
    const states = Object.fromEntries(await Promise.all(cat.roles.map(async (r) => [r.name, await passwordState(r.verifier, passwordOf(r.name))] as const)));
    expect(states).toEqual({ shop: 'matches', reporting: 'matches', writer: 'differs' });
    const changes = diffUsers(d, usersIn(cat, states));
    expect(changes.map((c) => c.address)).toEqual(['addon.shop.user.writer']);
    expect(changes[0]!.steps.map((s) => s.type)).toEqual(['role.password']);
    expect(changes[0]!.reason).toMatch(/changed outside dbform/);
  });

  it('recreates a dropped user', () => {
    const d = desired();
    const cat = syncedCatalog(d);
    cat.roles = cat.roles.filter((r) => r.name !== 'reporting');
    expect(diffUsers(d, usersIn(cat)).map((c) => [c.address, c.action])).toEqual([['addon.shop.user.reporting', 'create']]);
  });

  it('drops a managed user removed from the file safely, saying how many objects it owned', () => {
    const d = desired([role('shop', 'owner')]);
    const cat = syncedCatalog(desired());
    cat.roles.find((r) => r.name === 'writer')!.ownedObjects = 3;
    const changes = diffUsers(d, usersIn(cat));
    const drops = changes.filter((c) => c.action === 'delete');
    expect(drops.map((c) => c.address)).toEqual(['addon.shop.user.reporting', 'addon.shop.user.writer']);
    expect(drops[1]!.reason).toMatch(/owns 3 objects/);
    expect(drops[1]!.hazards.map((h) => h.code)).toEqual(['ACCESS_CHANGE']);
    const stmts = allStatements([drops[1]!]);
    expect(stmts[0]).toBe('ALTER ROLE "writer" NOLOGIN');
    expect(stmts).toContain('REASSIGN OWNED BY "writer" TO "shop"');
    expect(stmts.at(-1)).toBe('DROP ROLE "writer"');
  });

  it('never drops a role it does not manage', () => {
    const d = desired([role('shop', 'owner')]);
    const cat = syncedCatalog(d);
    cat.roles.push({ ...cat.roles[0]!, name: 'someone-else', managed: false });
    expect(diffUsers(d, usersIn(cat))).toEqual([]);
  });

  it('quotes hostile names as identifiers and literals', () => {
    const hostile = 'a"b; DROP TABLE x; --';
    const d = desired([role('shop', 'owner'), role(hostile, 'read-write')]);
    const stmts = allStatements(diffUsers(d, usersIn(null)));
    expect(stmts).toContain('CREATE ROLE "a""b; DROP TABLE x; --" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS');
  });
});

describe('SCRAM verifiers', () => {
  it('recomputes a verifier from the stored salt and iterations', async () => {
    const v = scramVerifier('correct horse');
    expect(v).toMatch(/^SCRAM-SHA-256\$4096:[^$]+\$[^:]+:.+$/);
    expect(await verifierMatches(v, 'correct horse')).toBe(true);
    expect(await verifierMatches(v, 'wrong horse')).toBe(false);
    expect(await verifierMatches(null, 'x')).toBe(false);
    expect(await verifierMatches('md5abcdef', 'x')).toBe(false);
  });

  it('gives the same verdicts off the event loop, and none without a password to compare', async () => {
    const v = scramVerifier('correct horse');
    expect(await passwordState(v, 'correct horse')).toBe('matches');
    expect(await passwordState(v, 'wrong horse')).toBe('differs');
    expect(await passwordState(null, 'x')).toBe('differs');
    expect(await passwordState(v, undefined)).toBe('not-held');
  });

  it('a user whose password dbform no longer holds gets a new one, an access change', () => {
    const d = desired();
    const changes = diffUsers(d, usersIn(syncedCatalog(d), { writer: 'not-held' }));
    expect(changes.map((c) => c.address)).toEqual(['addon.shop.user.writer']);
    expect(changes[0]!.reason).toMatch(/keystore holds no password/);
    expect(changes[0]!.hazards.map((h) => h.code)).toEqual(['ACCESS_CHANGE']);
  });

  it('a user left without a password and without a keystore entry (an apply killed after CREATE ROLE) gets one, no hazard', () => {
    const d = desired();
    const catalog = syncedCatalog(d);
    const half = { ...catalog, roles: catalog.roles.map((r) => (r.name === 'writer' ? { ...r, verifier: null } : r)) };
    const changes = diffUsers(d, usersIn(half, { writer: 'not-held' }));
    expect(changes.map((c) => c.address)).toEqual(['addon.shop.user.writer']);
    expect(changes[0]!.hazards).toEqual([]);
    expect(changes[0]!.steps.map((s) => s.type)).toEqual(['role.password']);
  });
});
