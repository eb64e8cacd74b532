import { PassThrough, type Writable } from 'node:stream';
import type { ApplyContext } from '../apply/context.js';
import { field } from '../apply/context.js';
import type { Step } from '../plan/types.js';
import { shellJoin } from '../util/shell.js';
import { ident } from '../util/sql.js';

// How apply runs a restore's own steps (plan.ts). Each reads only its step, plus the backup it names,
// streamed through the context. A load or check that fails drops the database it was filling, and a swap
// that fails puts the add-on's database back as it was: a failed restore leaves the add-on untouched.

export interface RestoreContext extends ApplyContext {
  /** Streams the backup `id` of `addon`, checked and decrypted, into `sink` (the one the plan names). */
  readBackup(addon: string, id: string, sink: Writable): Promise<unknown>;
}

export type RestoreExecutor = (step: Step, ctx: RestoreContext) => Promise<void>;

/** Drops a restore's own database after a failure, ending whatever is connected to it. */
async function dropRestored(ctx: RestoreContext, addon: string, database: string): Promise<void> {
  await ctx.forget(addon);
  const admin = await ctx.pg(addon, 'postgres');
  await admin.query(`DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`);
}

async function cleaningUp(ctx: RestoreContext, addon: string, database: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    await dropRestored(ctx, addon, database).catch(() => undefined);
    throw err;
  }
}

/**
 * The dump flows from the storage through this process (checksum, decryption) into pg_restore in the
 * add-on's container, with backpressure end to end: memory stays flat whatever the size. pg_restore runs as
 * the superuser over the container's socket but creates everything as the owner role (--role, --no-owner),
 * and restores no grants (--no-privileges): the convergence step after the swap sets them as the file says.
 */
const load: RestoreExecutor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const database = field<string>(step, 'database', 'string');
  const owner = field<string>(step, 'owner', 'string');
  const container = field<string>(step, 'container', 'string');
  const port = field<number>(step, 'port', 'number');
  const source = field<string>(step, 'source', 'string');
  const backup = field<string>(step, 'backup', 'string');
  await cleaningUp(ctx, addon, database, async () => {
    const stdin = new PassThrough();
    const options = ['-U', 'postgres', '--no-owner', '--no-privileges', `--role=${owner}`, '--exit-on-error', `--dbname=${database}`];
    // A Patroni member may be the replica: pg_restore goes through the gateway on this host to the primary, as
    // the superuser whose password the member's environment holds (never on a command line).
    const command = step.throughGateway === true
      ? shellJoin(['docker', 'exec', '-i', container, 'sh', '-c', 'PGPASSWORD="$PATRONI_SUPERUSER_PASSWORD" exec pg_restore -h 127.0.0.1 -p "$@"', 'sh', String(port), ...options])
      : shellJoin(['docker', 'exec', '-i', container, 'pg_restore', '-h', '/tmp', '-p', port, ...options]);
    ctx.progress(`streaming backup ${backup} of ${source} into pg_restore (database ${database})`);
    // A download that fails (storage unreachable, a damaged object) ends pg_restore's input, so it stops too.
    let readError: Error | undefined;
    const reading = ctx.readBackup(source, backup, stdin).catch((e: Error) => {
      readError = e;
      stdin.destroy();
    });
    const restored = await ctx.host.exec(command, { stdin });
    await reading;
    const failures: string[] = [];
    if (restored.code !== 0) {
      const detail = (restored.stderr || restored.stdout).trim().split('\n').slice(-3).join(' ');
      failures.push(`pg_restore failed (exit ${restored.code}): ${detail}`);
    }
    // A dump that does not match its checksum is not swapped in, even if pg_restore took it. When both fail,
    // either may be the cause (a broken download, or pg_restore stopping and breaking the pipe): both are said.
    if (readError) failures.push(readError.message);
    if (failures.length) throw new Error(failures.join('; '));
  });
};

export const TABLES_SQL = `
SELECT format('%I.%I', n.nspname, c.relname) AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE (c.relkind = 'r' OR (c.relkind = 'm' AND c.relispopulated))
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
ORDER BY 1`;

/** Every table of the restored database is read to the end (count(*)): a damaged one fails here, before the swap. */
const check: RestoreExecutor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const database = field<string>(step, 'database', 'string');
  await cleaningUp(ctx, addon, database, async () => {
    const client = await ctx.pg(addon, database);
    const tables = (await client.query<{ name: string }>(TABLES_SQL)).rows.map((r) => r.name);
    let rows = 0;
    for (const t of tables) rows += Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]!.n);
    ctx.progress(`restored database checked: ${tables.length} tables readable, ${rows} rows`);
    await ctx.forget(addon); // nothing of dbform's may stay connected to it for the swap
  });
};

/**
 * Closes the add-on's database to new connections, ends the open ones, and renames both databases in one
 * transaction: clients see the old data, then a refused connection for a moment, then the restored data.
 */
const swap: RestoreExecutor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const database = field<string>(step, 'database', 'string');
  const restored = field<string>(step, 'restored', 'string');
  const previous = field<string>(step, 'previous', 'string');
  await ctx.forget(addon);
  const admin = await ctx.pg(addon, 'postgres');
  await admin.query(`ALTER DATABASE ${ident(database)} ALLOW_CONNECTIONS false`);
  try {
    await admin.query('SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid()', [[database, restored]]);
    await admin.query('BEGIN');
    await admin.query(`ALTER DATABASE ${ident(database)} RENAME TO ${ident(previous)}`);
    await admin.query(`ALTER DATABASE ${ident(restored)} RENAME TO ${ident(database)}`);
    await admin.query('COMMIT');
  } catch (err) {
    await admin.query('ROLLBACK').catch(() => undefined);
    await admin.query(`ALTER DATABASE ${ident(database)} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await dropRestored(ctx, addon, restored).catch(() => undefined);
    throw err;
  }
  // The previous data stays readable by its owner, to copy something back from it or to undo the restore.
  await admin.query(`ALTER DATABASE ${ident(previous)} ALLOW_CONNECTIONS true`);
  ctx.progress(`database ${database} now holds the restored data; the previous one is database ${previous}`);
};

export const RESTORE_EXECUTORS: Record<string, RestoreExecutor> = { 'restore.load': load, 'restore.check': check, 'restore.swap': swap };
