import type { Attrs, Change, SecretRef, Step } from '../../plan/types.js';
import { ident, literal } from '../../util/sql.js';
import { MANAGED_COMMENT } from '../instance/catalog-query.js';
import type { DesiredAddon, DesiredRole, ObservedRole, ObservedUsers, PasswordState } from '../model.js';

// Pure: declared roles + observed roles -> create / update / drop changes. Only roles dbform manages
// (declared, or carrying its comment) are ever altered or dropped.

/** Attributes every managed role has, owner included: no escalation is possible through them. */
const SAFE_ATTRIBUTES = { login: true, superuser: false, createrole: false, createdb: false, replication: false, bypassrls: false } as const;
type AttributeName = keyof typeof SAFE_ATTRIBUTES;
const SQL_KEYWORD: Record<AttributeName, [string, string]> = {
  login: ['LOGIN', 'NOLOGIN'],
  superuser: ['SUPERUSER', 'NOSUPERUSER'],
  createrole: ['CREATEROLE', 'NOCREATEROLE'],
  createdb: ['CREATEDB', 'NOCREATEDB'],
  replication: ['REPLICATION', 'NOREPLICATION'],
  bypassrls: ['BYPASSRLS', 'NOBYPASSRLS'],
};
const ATTRIBUTE_NAMES = Object.keys(SAFE_ATTRIBUTES) as AttributeName[];
const SAFE_SQL = ATTRIBUTE_NAMES.map((a) => SQL_KEYWORD[a][SAFE_ATTRIBUTES[a] ? 0 : 1]).join(' ');

export function rolePhase(role: DesiredRole): 'owner' | 'user' {
  return role.access === 'owner' ? 'owner' : 'user';
}

function secretRef(role: DesiredRole): SecretRef {
  return role.passwordSource.source === 'env'
    ? { source: 'env', name: role.passwordSource.name }
    : { source: 'keystore', key: role.passwordSource.key, generate: true };
}

function passwordLabel(role: DesiredRole): string {
  return role.passwordSource.source === 'env' ? `from $${role.passwordSource.name}` : 'generated, kept in the keystore';
}

function sqlStep(addon: string, database: string, statements: string[]): Step {
  return { type: 'sql', addon, database, statements };
}

function passwordStep(addon: string, role: DesiredRole): Step {
  return { type: 'role.password', addon, role: role.name, secret: secretRef(role) };
}

function address(addon: string, role: string): string {
  return `addon.${addon}.user.${role}`;
}

function createChange(desired: DesiredAddon, role: DesiredRole): Change {
  const name = ident(role.name);
  return {
    address: address(desired.name, role.name),
    kind: 'user',
    host: desired.host,
    addon: desired.name,
    action: 'create',
    reason: role.access === 'owner' ? `owner of database ${desired.database}` : `declared ${role.access} user`,
    before: null,
    after: { access: role.access, password: passwordLabel(role), ...SAFE_ATTRIBUTES },
    hazards: [],
    steps: [
      sqlStep(desired.name, 'postgres', [
        `CREATE ROLE ${name} ${SAFE_SQL}`,
        `COMMENT ON ROLE ${name} IS ${literal(MANAGED_COMMENT)}`,
      ]),
      passwordStep(desired.name, role),
    ],
  };
}

function updateChange(desired: DesiredAddon, role: DesiredRole, observed: ObservedRole, password: PasswordState): Change | null {
  const name = ident(role.name);
  const reasons: string[] = [];
  const before: Attrs = {};
  const after: Attrs = {};
  const statements: string[] = [];
  const wrong = ATTRIBUTE_NAMES.filter((a) => observed[a] !== SAFE_ATTRIBUTES[a]);
  if (wrong.length) {
    for (const a of wrong) {
      before[a] = observed[a];
      after[a] = SAFE_ATTRIBUTES[a];
    }
    reasons.push(`attributes changed outside dbform (${wrong.map((a) => SQL_KEYWORD[a][observed[a] ? 0 : 1]).join(', ')})`);
    statements.push(`ALTER ROLE ${name} ${wrong.map((a) => SQL_KEYWORD[a][SAFE_ATTRIBUTES[a] ? 0 : 1]).join(' ')}`);
  }
  if (observed.memberOf.length) {
    before.member_of = observed.memberOf;
    after.member_of = [];
    reasons.push(`member of ${observed.memberOf.join(', ')}`);
    for (const g of observed.memberOf) statements.push(`REVOKE ${ident(g)} FROM ${name}`);
  }
  if (!observed.managed) {
    before.managed = false;
    after.managed = true;
    reasons.push('existing role taken under management');
    statements.push(`COMMENT ON ROLE ${name} IS ${literal(MANAGED_COMMENT)}`);
  }
  const steps: Step[] = statements.length ? [sqlStep(desired.name, 'postgres', statements)] : [];
  const passwordOk = password === 'matches';
  if (!passwordOk) {
    before.password = observed.verifier ? 'differs' : 'none';
    after.password = passwordLabel(role);
    reasons.push(
      password === 'not-held'
        ? 'the keystore holds no password for this user: a new one is generated'
        : observed.verifier
          ? 'password was changed outside dbform'
          : 'user has no password',
    );
    steps.push(passwordStep(desired.name, role));
  }
  if (!steps.length) return null;
  // Only a password that exists can lock clients out: a role without one (an apply stopped between CREATE ROLE
  // and its password) just gets its first.
  const hazards = password === 'not-held' && observed.verifier
    ? [{ code: 'ACCESS_CHANGE' as const, message: `clients using the current password of ${role.name} can no longer connect` }]
    : [];
  return {
    address: address(desired.name, role.name),
    kind: 'user',
    host: desired.host,
    addon: desired.name,
    action: 'update',
    reason: reasons.join('; '),
    before,
    after,
    hazards,
    steps,
  };
}

function dropChange(desired: DesiredAddon, observed: ObservedRole, databaseExists: boolean): Change {
  const name = ident(observed.name);
  const owner = ident(desired.roles.find((r) => r.access === 'owner')!.name);
  const statements = [
    `ALTER ROLE ${name} NOLOGIN`,
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ${literal(observed.name)}`,
  ];
  const steps: Step[] = [sqlStep(desired.name, 'postgres', statements)];
  if (databaseExists) {
    steps.push(sqlStep(desired.name, desired.database, [`REASSIGN OWNED BY ${name} TO ${owner}`, `DROP OWNED BY ${name}`]));
  }
  steps.push(sqlStep(desired.name, 'postgres', [`REASSIGN OWNED BY ${name} TO ${owner}`, `DROP OWNED BY ${name}`, `DROP ROLE ${name}`]));
  const owned = observed.ownedObjects;
  return {
    address: address(desired.name, observed.name),
    kind: 'user',
    host: desired.host,
    addon: desired.name,
    action: 'delete',
    reason: `user removed from the file; it owns ${owned} object${owned === 1 ? '' : 's'}, reassigned to ${desired.name}`,
    before: { login: observed.login, owned_objects: owned },
    after: null,
    hazards: [{ code: 'ACCESS_CHANGE', message: `${observed.name} can no longer connect; its sessions are ended` }],
    steps,
  };
}

export function diffUsers(desired: DesiredAddon, { catalog, passwords }: ObservedUsers): Change[] {
  const observed = new Map((catalog?.roles ?? []).map((r) => [r.name, r]));
  const changes: Change[] = [];
  for (const role of desired.roles) {
    const have = observed.get(role.name);
    if (!have) changes.push(createChange(desired, role));
    else {
      const update = updateChange(desired, role, have, passwords[role.name] ?? 'not-held');
      if (update) changes.push(update);
    }
  }
  const declared = new Set(desired.roles.map((r) => r.name));
  for (const have of catalog?.roles ?? []) {
    if (have.managed && !declared.has(have.name)) changes.push(dropChange(desired, have, catalog!.databaseExists));
  }
  return changes;
}
