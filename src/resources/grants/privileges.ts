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

/** Roles whose future tables others must be able to use: the owner and every read-write user. */
export function isWriter(access: RoleAccess): boolean {
  return access !== 'read-only';
}
