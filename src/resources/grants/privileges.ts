import type { RoleAccess } from '../model.js';

// The privileges each access level holds, as the SPEC (and the seeds) define them, written the way
// aclexplode() names them, sorted and comma-joined so observed and desired compare as strings.

export interface PrivilegeSet {
  database: string | null; // null: not checked (the owner holds it by ownership)
  schema: string | null;
  tables: string;
  sequences: string;
}

const ALL_TABLE = 'DELETE,INSERT,REFERENCES,SELECT,TRIGGER,TRUNCATE,UPDATE';
const ALL_SEQUENCE = 'SELECT,UPDATE,USAGE';

export const PRIVILEGES: Record<RoleAccess, PrivilegeSet> = {
  owner: { database: null, schema: null, tables: ALL_TABLE, sequences: ALL_SEQUENCE },
  'read-write': { database: 'CONNECT,CREATE,TEMPORARY', schema: 'CREATE,USAGE', tables: ALL_TABLE, sequences: ALL_SEQUENCE },
  'read-only': { database: 'CONNECT', schema: 'USAGE', tables: 'SELECT', sequences: 'SELECT' },
};

/** PostgreSQL 17 added MAINTAIN (VACUUM, ANALYZE, REINDEX...) to the table privileges. */
const ALL_TABLE_17 = 'DELETE,INSERT,MAINTAIN,REFERENCES,SELECT,TRIGGER,TRUNCATE,UPDATE';

/** The privileges of an access level on a server of `major` version: writers get ALL PRIVILEGES, which on 17
 *  includes MAINTAIN (an upgraded cluster's "GRANT ALL" is restored that way too). */
export function privilegesOf(access: RoleAccess, major: string): PrivilegeSet {
  const p = PRIVILEGES[access];
  return Number(major) >= 17 && access !== 'read-only' ? { ...p, tables: ALL_TABLE_17 } : p;
}

/** Roles whose future tables others must be able to use: the owner and every read-write user. */
export function isWriter(access: RoleAccess): boolean {
  return access !== 'read-only';
}
