import type { Attrs, Change, JsonValue } from '../../plan/types.js';
import { ident } from '../../util/sql.js';
import type { DesiredAddon, DesiredRole, ObservedCatalog, ObservedRole, PrivilegeHistogram } from '../model.js';
import { isWriter, privilegesOf } from './privileges.js';

// Pure: for each declared role, compares the privileges it holds on the add-on's database, schema
// public, existing tables and sequences, and the default privileges for future objects of every
// writer, with what its access level grants. Any difference yields one change whose steps re-grant
// the whole set in one transaction: GRANT/REVOKE are idempotent, so one pass always converges.

function histogramText(h: PrivilegeHistogram): string {
  const parts = Object.entries(h)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([privs, n]) => `${n} ${privs || 'none'}`);
  return parts.length ? parts.join('; ') : 'no objects';
}

function histogramOk(h: PrivilegeHistogram, want: string): boolean {
  return Object.keys(h).every((privs) => privs === want);
}

function defaultsOf(catalog: ObservedCatalog | null, forRole: string, objtype: 'tables' | 'sequences', grantee: string): string {
  return catalog?.defaultAcls.find((d) => d.forRole === forRole && d.objtype === objtype && d.grantee === grantee)?.privs ?? '';
}

function grantStatements(desired: DesiredAddon, role: DesiredRole, writers: string[]): string[] {
  const u = ident(role.name);
  const db = ident(desired.database);
  const want = privilegesOf(role.access, desired.container.version);
  const exact = role.access === 'read-only'; // a read-only user must hold nothing more than SELECT
  const tablePrivs = exact ? 'SELECT' : 'ALL PRIVILEGES';
  const seqPrivs = exact ? 'SELECT' : 'ALL PRIVILEGES';
  const out: string[] = [];
  if (want.database) {
    if (exact) out.push(`REVOKE ALL ON DATABASE ${db} FROM ${u}`);
    out.push(`GRANT ${exact ? 'CONNECT' : 'ALL PRIVILEGES'} ON DATABASE ${db} TO ${u}`);
  }
  if (want.schema) {
    if (exact) out.push(`REVOKE ALL ON SCHEMA public FROM ${u}`);
    out.push(`GRANT ${exact ? 'USAGE' : 'USAGE, CREATE'} ON SCHEMA public TO ${u}`);
  }
  if (exact) {
    out.push(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${u}`, `REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${u}`);
  }
  out.push(`GRANT ${tablePrivs} ON ALL TABLES IN SCHEMA public TO ${u}`, `GRANT ${seqPrivs} ON ALL SEQUENCES IN SCHEMA public TO ${u}`);
  for (const w of writers) {
    const prefix = `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(w)} IN SCHEMA public`;
    if (exact) out.push(`${prefix} REVOKE ALL ON TABLES FROM ${u}`, `${prefix} REVOKE ALL ON SEQUENCES FROM ${u}`);
    out.push(`${prefix} GRANT ${tablePrivs} ON TABLES TO ${u}`, `${prefix} GRANT ${seqPrivs} ON SEQUENCES TO ${u}`);
  }
  return out;
}

function observedAttrs(observed: ObservedRole | undefined, catalog: ObservedCatalog | null, role: DesiredRole, writers: string[]): Attrs {
  const want = privilegesOf(role.access, '15'); // only which parts apply to the access level (any version)
  const attrs: Attrs = {};
  if (want.database) attrs.database = observed?.databasePrivs || 'none';
  if (want.schema) attrs.schema = observed?.schemaPrivs || 'none';
  attrs.tables = histogramText(observed?.tables ?? {});
  attrs.sequences = histogramText(observed?.sequences ?? {});
  const defaults: { [k: string]: JsonValue } = {};
  for (const w of writers) {
    defaults[`${w} tables`] = defaultsOf(catalog, w, 'tables', role.name) || 'none';
    defaults[`${w} sequences`] = defaultsOf(catalog, w, 'sequences', role.name) || 'none';
  }
  if (writers.length) attrs.default_privileges = defaults;
  return attrs;
}

function desiredAttrs(role: DesiredRole, writers: string[], major: string): Attrs {
  const want = privilegesOf(role.access, major);
  const attrs: Attrs = {};
  if (want.database) attrs.database = want.database;
  if (want.schema) attrs.schema = want.schema;
  attrs.tables = `all ${want.tables}`;
  attrs.sequences = `all ${want.sequences}`;
  const defaults: { [k: string]: JsonValue } = {};
  for (const w of writers) {
    defaults[`${w} tables`] = want.tables;
    defaults[`${w} sequences`] = want.sequences;
  }
  if (writers.length) attrs.default_privileges = defaults;
  return attrs;
}

function inSync(observed: ObservedRole | undefined, catalog: ObservedCatalog | null, role: DesiredRole, writers: string[], major: string): boolean {
  if (!observed || !catalog?.databaseExists) return false;
  const want = privilegesOf(role.access, major);
  if (want.database !== null && observed.databasePrivs !== want.database) return false;
  if (want.schema !== null && observed.schemaPrivs !== want.schema) return false;
  if (!histogramOk(observed.tables, want.tables) || !histogramOk(observed.sequences, want.sequences)) return false;
  return writers.every(
    (w) => defaultsOf(catalog, w, 'tables', role.name) === want.tables && defaultsOf(catalog, w, 'sequences', role.name) === want.sequences,
  );
}

export function diffGrants(desired: DesiredAddon, catalog: ObservedCatalog | null): Change[] {
  const observed = new Map((catalog?.roles ?? []).map((r) => [r.name, r]));
  const allWriters = desired.roles.filter((r) => isWriter(r.access)).map((r) => r.name);
  const changes: Change[] = [];
  // Judged by the server that was read (a major upgrade planned from 15 changes nothing here); without one, by `version`.
  const major = catalog?.serverMajor ?? desired.container.version;
  for (const role of desired.roles) {
    const writers = allWriters.filter((w) => w !== role.name);
    const have = observed.get(role.name);
    if (inSync(have, catalog, role, writers, major)) continue;
    const fresh = !have || !catalog?.databaseExists;
    changes.push({
      address: `addon.${desired.name}.grants.${role.name}`,
      kind: 'grants',
      host: desired.host,
      addon: desired.name,
      action: fresh ? 'create' : 'update',
      reason: fresh ? `${role.access} privileges of ${role.name}` : `privileges of ${role.name} differ from ${role.access}`,
      before: fresh ? null : observedAttrs(have, catalog, role, writers),
      after: desiredAttrs(role, writers, major),
      hazards: [],
      steps: [{ type: 'sql', addon: desired.name, database: desired.database, statements: grantStatements(desired, role, writers) }],
    });
  }
  return changes;
}
