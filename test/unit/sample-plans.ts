// Hand-made plans for the unit tests of apply reporting (what matters there is addresses, actions and
// hazards, not what the differ would emit); golden tests use real inputs (test/golden/<case>/).

import type { Change, Hazard, Plan, Step } from '../../src/plan/types.js';

/** Appears only inside steps; seeing it in any rendered output means steps leaked. */
export const STEP_MARKER = 'STEP_ONLY_7f3a9c';

const CONFIG = {
  file: 'databases.yaml',
  sha256: '9f2c4e1ab7d05c3e8a6b1f0d2c4e6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f',
};

function sql(statement: string): Step {
  return { type: 'sql', sql: `${statement} /* ${STEP_MARKER} */` };
}

function change(c: Omit<Change, 'hazards' | 'steps'> & { hazards?: Hazard[]; steps?: Step[] }): Change {
  return { hazards: [], steps: [sql('SELECT 1')], ...c };
}

const READ_WRITE_GRANTS = [
  'ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public',
  'ALL PRIVILEGES ON ALL TABLES IN SCHEMA public',
  'ALL PRIVILEGES ON DATABASE',
  'CREATE ON SCHEMA public',
];
const READ_ONLY_GRANTS = [
  'CONNECT ON DATABASE',
  'SELECT ON ALL SEQUENCES IN SCHEMA public',
  'SELECT ON ALL TABLES IN SCHEMA public',
  'USAGE ON SCHEMA public',
];

function container(addon: string, host: string, port: number, memoryMb: number) {
  return {
    image: 'dbform-postgresql:15',
    plan: `postgresql-starter-${memoryMb}`,
    memory_mb: memoryMb,
    port,
    tls_force: true,
    encryption_at_rest: true,
    volume: `/var/lib/dbform/${addon}`,
    host,
  };
}

function firstApplyFor(addon: string, host: string, port: number, memoryMb: number): Change[] {
  const base = { kind: '', host, addon };
  const changes = [
    change({
      ...base,
      kind: 'container',
      address: `addon.${addon}.container`,
      action: 'create',
      reason: 'add-on is new',
      before: null,
      after: container(addon, host, port, memoryMb),
      steps: [{ type: 'docker.run', name: `dbform-${addon}`, args: [`--memory=${memoryMb}m`, STEP_MARKER] }],
    }),
    change({
      ...base,
      kind: 'database',
      address: `addon.${addon}.database`,
      action: 'create',
      reason: 'add-on is new',
      before: null,
      after: { name: addon, owner: addon, encoding: 'UTF8', extensions: ['pg_trgm'] },
      steps: [sql(`CREATE DATABASE "${addon}" OWNER "${addon}"`)],
    }),
    change({
      ...base,
      kind: 'user',
      address: `addon.${addon}.user.${addon}`,
      action: 'create',
      reason: 'owner of the add-on database',
      before: null,
      after: { name: addon, access: 'read-write', login: true, password_source: 'keystore (generated)', grants: READ_WRITE_GRANTS },
      steps: [
        { type: 'sql', sql: `CREATE ROLE "${addon}" LOGIN PASSWORD $1 /* ${STEP_MARKER} */`, password: { source: 'keystore', key: `${addon}/${addon}`, generate: true } },
      ],
    }),
    change({
      ...base,
      kind: 'user',
      address: `addon.${addon}.user.reporting`,
      action: 'create',
      reason: 'user is new',
      before: null,
      after: { name: 'reporting', access: 'read-only', login: true, password_source: 'env REPORTING_PASSWORD', grants: READ_ONLY_GRANTS },
      steps: [
        { type: 'sql', sql: `CREATE ROLE "reporting" LOGIN PASSWORD $1 /* ${STEP_MARKER} */`, password: { source: 'env', name: 'REPORTING_PASSWORD' } },
      ],
    }),
  ];
  // Plans are sorted by address; "user.reporting" sorts before "user.shop".
  return changes.sort((a, b) => (a.address < b.address ? -1 : 1));
}

export const empty: Plan = {
  formatVersion: 1,
  config: CONFIG,
  observedFingerprint: '3b8e0c7d1f2a4b6c8d0e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c',
  changes: [],
  warnings: [],
  hostsNotRead: [],
  instances: {},
};

export const firstApply: Plan = {
  formatVersion: 1,
  config: CONFIG,
  observedFingerprint: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  changes: [...firstApplyFor('blog', 'db-2', 31001, 256), ...firstApplyFor('shop', 'db-1', 31000, 256)],
  warnings: [],
  hostsNotRead: [],
  instances: {},
};

export const update: Plan = {
  formatVersion: 1,
  config: CONFIG,
  observedFingerprint: '7c1d9e2f4a6b8c0d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a0b2c4d6e8f0a1b3c5d',
  changes: [
    change({
      address: 'addon.blog.container',
      kind: 'container',
      host: 'db-2',
      addon: 'blog',
      action: 'replace',
      reason: 'published port 31001 -> 31002 (Docker cannot change the ports of an existing container)',
      before: container('blog', 'db-2', 31001, 256),
      after: container('blog', 'db-2', 31002, 256),
      hazards: [
        { code: 'RESTART', message: 'blog is re-created on port 31002; clients are disconnected and must use the new port. Its data volume is kept.' },
      ],
      steps: [{ type: 'docker.rm', name: 'dbform-blog', marker: STEP_MARKER }],
    }),
    change({
      address: 'addon.legacy.backups',
      kind: 'backups',
      host: 'db-1',
      addon: 'legacy',
      action: 'delete',
      reason: 'add-on removed from databases.yaml',
      before: { schedule_at: '03:00', timezone: 'Europe/Paris', pitr: true, storage: 'main' },
      after: null,
      hazards: [
        { code: 'BACKUPS_DISABLED', message: 'legacy is no longer backed up; existing backups are kept in storage main until retention prunes them.' },
      ],
      steps: [{ type: 'cron.remove', file: `/etc/cron.d/dbform-legacy-${STEP_MARKER}` }],
    }),
    change({
      address: 'addon.legacy.container',
      kind: 'container',
      host: 'db-1',
      addon: 'legacy',
      action: 'delete',
      reason: 'add-on removed from databases.yaml',
      before: container('legacy', 'db-1', 31005, 512),
      after: null,
      hazards: [
        { code: 'DATA_LOSS', message: 'the container and the data volume of legacy are deleted (1.4 GB); only its backups remain.' },
      ],
    }),
    change({
      address: 'addon.shop.container',
      kind: 'container',
      host: 'db-1',
      addon: 'shop',
      action: 'update',
      reason: 'plan postgresql-starter-256 -> postgresql-starter-512 (memory 256 MB -> 512 MB)',
      before: container('shop', 'db-1', 31000, 256),
      after: container('shop', 'db-1', 31000, 512),
      hazards: [{ code: 'RESTART', message: 'shop restarts with the new memory limit; clients are disconnected for a few seconds' }],
      steps: [{ type: 'docker.update', name: 'dbform-shop', args: ['--memory=512m', STEP_MARKER] }],
    }),
    change({
      address: 'addon.shop.user.analyst',
      kind: 'user',
      host: 'db-1',
      addon: 'shop',
      action: 'delete',
      reason: 'user removed from databases.yaml; it owned 3 objects, which are reassigned to shop',
      before: { name: 'analyst', access: 'read-write', login: true, grants: READ_WRITE_GRANTS },
      after: null,
      hazards: [
        { code: 'ACCESS_CHANGE', message: 'analyst can no longer log in; its 3 objects (2 tables, 1 sequence) now belong to shop' },
      ],
      steps: [sql('ALTER ROLE "analyst" NOLOGIN'), sql('REASSIGN OWNED BY "analyst" TO "shop"'), sql('DROP ROLE "analyst"')],
    }),
    change({
      address: 'addon.shop.user.reporting',
      kind: 'user',
      host: 'db-1',
      addon: 'shop',
      action: 'update',
      reason: 'grants drifted: has INSERT and UPDATE on all tables, expected read-only',
      before: {
        name: 'reporting',
        access: 'read-only',
        login: true,
        grants: [...READ_ONLY_GRANTS, 'INSERT ON ALL TABLES IN SCHEMA public', 'UPDATE ON ALL TABLES IN SCHEMA public'].sort(),
      },
      after: { name: 'reporting', access: 'read-only', login: true, grants: READ_ONLY_GRANTS },
      steps: [sql('REVOKE INSERT, UPDATE ON ALL TABLES IN SCHEMA public FROM "reporting"')],
    }),
  ],
  warnings: [],
  hostsNotRead: [],
  instances: {},
};

// Names a user may legally choose in PostgreSQL, each aimed at one renderer: quotes and semicolons (JSON
// and SQL-looking text), a pipe (markdown tables), backticks and HTML (markdown code and raw HTML), an ANSI
// escape and a newline (terminals).
const WEIRD = 'we"ird; user';
const PIPE = 'a|b';
const MARKUP = 'x`y` <b>z</b> *w*';
const ESCAPE = 'red\u001b[31mALERT\nline';

function weirdUser(name: string, access: 'read-only' | 'read-write'): Change {
  return change({
    address: `addon.shop.user.${name}`,
    kind: 'user',
    host: 'db-1',
    addon: 'shop',
    action: 'create',
    reason: `user ${name} is new`,
    before: null,
    after: { name, access, login: true },
    steps: [sql(`CREATE ROLE ${JSON.stringify(name)} LOGIN`)],
  });
}

export const weirdNames: Plan = {
  formatVersion: 1,
  config: CONFIG,
  observedFingerprint: '0d4f6a8b2c1e3f5a7b9c0d2e4f6a8b1c3d5e7f9a0b2c4d6e8f1a3b5c7d9e0f2a',
  changes: [
    change({
      address: `addon.shop.user.${PIPE}`,
      kind: 'user',
      host: 'db-1',
      addon: 'shop',
      action: 'update',
      reason: `access of ${PIPE} changed: read-only -> read-write`,
      before: { name: PIPE, access: 'read-only', login: true },
      after: { name: PIPE, access: 'read-write', login: true },
      hazards: [{ code: 'ACCESS_CHANGE', message: `${PIPE} can now write to every table of shop` }],
    }),
    weirdUser(ESCAPE, 'read-only'),
    weirdUser(WEIRD, 'read-write'),
    weirdUser(MARKUP, 'read-only'),
  ],
  warnings: [
    'addon.blog on host db-2 was not checked: ssh: connect to 10.77.0.12 port 22: connection timed out. Its changes are not in this plan.',
    `# user ${MARKUP} | has a password set outside dbform; it is kept`,
  ],
  hostsNotRead: [],
  instances: {},
};

/** Golden name -> plan; the names are the file names under expected/. */
export const PLANS: Record<string, Plan> = {
  empty,
  'first-apply': firstApply,
  update,
  'weird-names': weirdNames,
};
