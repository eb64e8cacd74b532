import type { BackupManifest } from '../resources/backups/manifest.js';
import type { DesiredAddon } from '../resources/model.js';
import { instanceDesired } from '../plan/build.js';
import type { Attrs, Change, Hazard, Plan, Step } from '../plan/types.js';
import { canonicalJson, sha256Hex } from '../util/canonical.js';
import { UserError } from '../util/errors.js';
import { ident } from '../util/sql.js';

// Pure: a restore of a logical backup as a plan, rendered and gated like apply's plans. One change,
// `addon.TARGET.restore`, whose steps apply runs in order: restore into a new database beside the add-on's,
// check it, swap it in, converge users, owner, grants and extensions as the file says, and (on request)
// drop the previous database. Nothing in it is a secret.

/** What restore reads of the add-on it writes into, before planning (restore/gather.ts). */
export interface ObservedTarget {
  /** `server_version` of the running instance ("15.6 (Debian 15.6-0+deb12u1)"). */
  serverVersion: string;
  /** Tables in the add-on's database now: what a restore would overwrite. */
  tables: number;
}

export interface RestoreInput {
  config: { file: string; sha256: string };
  /** The add-on whose backup is restored (the target itself when in place). */
  source: string;
  backup: BackupManifest;
  target: DesiredAddon;
  observed: ObservedTarget;
  now: Date;
  /** Drop the previous database once the restore succeeded, instead of keeping it. */
  dropPrevious: boolean;
}

export const RESTORE_KIND = 'restore';

/** PostgreSQL truncates longer identifiers (NAMEDATALEN - 1). */
const MAX_IDENT = 63;

/** The databases a restore creates beside the add-on's: the one it restores into, and the name the
 *  previous one is kept under. The instance holds one add-on, so a shortened add-on name cannot clash. */
export function restoreDatabaseNames(database: string, now: Date): { scratch: string; previous: string } {
  const ts = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').toLowerCase(); // 20250301t101500
  const named = (suffix: string) => database.slice(0, MAX_IDENT - suffix.length) + suffix;
  return { scratch: named(`__restore_${ts}`), previous: named(`__before_restore_${ts}`) };
}

function major(version: string | undefined): string | undefined {
  return version?.trim().split(/[.\s]/)[0] || undefined;
}

/** Refuses a dump of another PostgreSQL major version than the instance's (pg_restore across majors is not
 *  what the add-on was tested with). A manifest without a version (older backups) is not refused. */
function checkVersion(input: RestoreInput): void {
  const dump = major(input.backup.pgVersion);
  const server = major(input.observed.serverVersion);
  if (dump && server && dump !== server) {
    throw new UserError(
      `backup ${input.backup.id} of ${input.source} is of PostgreSQL ${dump}, add-on ${input.target.name} runs PostgreSQL ${server}: restore needs the same major version`,
    );
  }
}

function tables(n: number): string {
  return `${n} table${n === 1 ? '' : 's'}`;
}

function hazards(input: RestoreInput, where: string, previous: string): Hazard[] {
  const inPlace = input.source === input.target.name;
  if (!inPlace && input.observed.tables === 0) return [];
  const kept = input.dropPrevious ? 'it is dropped once the restore succeeded (--drop-previous)' : `it is kept as database ${previous}`;
  return [
    {
      code: 'DATA_LOSS',
      message: `the data of database ${input.target.database} on ${where} (${tables(input.observed.tables)}) is replaced by backup ${input.backup.id}; ${kept}`,
    },
  ];
}

function steps(input: RestoreInput, scratch: string, previous: string): Step[] {
  const t = input.target;
  const base = { addon: t.name };
  const out: Step[] = [
    // CREATE DATABASE cannot run inside a transaction block.
    { type: 'sql', ...base, database: 'postgres', transaction: false, statements: [`CREATE DATABASE ${ident(scratch)} OWNER ${ident(t.name)} ENCODING 'UTF8' TEMPLATE template0`] },
    // A highly available add-on's port is its gateway's: pg_restore reaches the primary through it.
    { type: 'restore.load', ...base, database: scratch, owner: t.name, container: t.container.name, port: t.container.port, ...(t.ha && { throughGateway: true }), source: input.source, backup: input.backup.id },
    { type: 'restore.check', ...base, database: scratch },
    { type: 'restore.swap', ...base, database: t.database, restored: scratch, previous },
    // The same convergence as apply's for an instance it could not read: roles, owner, grants, extensions.
    { type: 'instance.converge', addon: t.name, desired: instanceDesired(t) as never },
  ];
  if (input.dropPrevious) out.push({ type: 'sql', ...base, database: 'postgres', transaction: false, statements: [`DROP DATABASE ${ident(previous)}`] });
  return out;
}

export function buildRestorePlan(input: RestoreInput): Plan {
  checkVersion(input);
  const t = input.target;
  const { scratch, previous } = restoreDatabaseNames(t.database, input.now);
  const where = `${t.host}:${t.container.port}`;
  const b = input.backup;
  const before: Attrs = { data: `current data (${tables(input.observed.tables)})` };
  const after: Attrs = {
    data: `backup ${b.id} of ${input.source}`,
    backup_taken_at: b.startedAt,
    backup_size_bytes: b.size ?? null,
    backup_pg_version: b.pgVersion ?? null,
    database: `${t.database} on ${where}`,
    previous_data: input.dropPrevious ? 'dropped after the restore' : `kept as database ${previous}`,
  };
  const hz = hazards(input, where, previous);
  const change: Change = {
    address: `addon.${t.name}.restore`,
    kind: RESTORE_KIND,
    host: t.host,
    addon: t.name,
    action: hz.length ? 'replace' : 'update',
    reason: `restore backup ${b.id} of ${input.source} into database ${t.database} on ${where}`,
    before,
    after,
    hazards: hz,
    steps: steps(input, scratch, previous),
  };
  return {
    formatVersion: 1,
    config: input.config,
    observedFingerprint: sha256Hex(canonicalJson({ observed: input.observed, backup: b })),
    changes: [change],
    warnings: [],
    hostsNotRead: [],
    instances: { [t.name]: { host: t.host, port: t.container.port } },
  };
}
