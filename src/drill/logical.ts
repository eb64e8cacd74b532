import { PassThrough } from 'node:stream';
import { run } from '../hosts/host.js';
import type { BackupManifest } from '../resources/backups/manifest.js';
import { readBackup } from '../resources/backups/service.js';
import type { BackupStore } from '../resources/backups/store.js';
import { CONTAINER_DATA_DIR } from '../resources/desired.js';
import { shellJoin } from '../util/shell.js';
import { ident } from '../util/sql.js';
import { type Scratch, SCRATCH_PORT, type TableCount, countTables, perDatabase, scratchPsql, startScratch } from './scratch.js';
import type { DrillCheck } from './record.js';

// The logical half of a drill: the latest successful logical backup restored into a fresh scratch instance,
// as `dbform restore --backup` restores one (streamed from the storage through this process, its checksum
// checked and decrypted here, into pg_restore in the container), then every table read.

const PGDATA = `${CONTAINER_DATA_DIR}/logical`;

/** A fresh cluster in the scratch directory: local connections only (peer/trust inside the container). */
async function initScratch(s: Scratch): Promise<void> {
  await run(s.host, 'initdb of the scratch instance', shellJoin(['docker', 'run', '--rm', '--user', 'postgres', '--network', 'none', '-v', `${s.dir}:${CONTAINER_DATA_DIR}`, s.image,
    'initdb', '-D', PGDATA, '-U', 'postgres', '--auth-local=trust', '-E', 'UTF8', '--locale=C.UTF-8']) + ' >/dev/null');
}

/**
 * pg_restore as the superuser, owning everything (--no-owner): the add-on's roles do not exist in the scratch
 * instance, and grants are not what a drill checks (--no-privileges). A download that fails ends pg_restore's
 * input; both failures are said.
 */
async function load(s: Scratch, container: string, store: BackupStore, masterKey: string, backup: BackupManifest, database: string): Promise<void> {
  const stdin = new PassThrough();
  let readError: Error | undefined;
  const reading = readBackup(store, masterKey, backup, stdin).catch((e: Error) => {
    readError = e;
    stdin.destroy();
  });
  const restored = await s.host.exec(
    shellJoin(['docker', 'exec', '-i', container, 'pg_restore', '-h', '/tmp', '-p', SCRATCH_PORT, '-U', 'postgres', '--no-owner', '--no-privileges', '--exit-on-error', `--dbname=${database}`]),
    { stdin },
  );
  await reading;
  const failures: string[] = [];
  if (restored.code !== 0) failures.push(`pg_restore failed (exit ${restored.code}): ${(restored.stderr || restored.stdout).trim().split('\n').slice(-3).join(' ')}`);
  if (readError) failures.push(readError.message);
  if (failures.length) throw new Error(failures.join('; '));
}

export interface CheckResult {
  check: DrillCheck;
  counts: TableCount[];
}

/** Restores `backup` into a scratch instance and reads it back. The caller removes the scratch instance. */
export async function drillLogical(
  s: Scratch,
  store: BackupStore,
  masterKey: string,
  backup: BackupManifest,
  database: string,
  progress: (m: string) => void,
): Promise<CheckResult> {
  const t0 = Date.now();
  progress(`restoring logical backup ${backup.id} into a scratch instance`);
  await initScratch(s);
  const container = await startScratch(s, 'logical', PGDATA);
  await scratchPsql(s, container, 'postgres', `CREATE DATABASE ${ident(database)} ENCODING 'UTF8' TEMPLATE template0`);
  await load(s, container, store, masterKey, backup, database);
  const { counts } = await countTables(s, container);
  const mine = counts.filter((c) => c.database === database);
  const [db] = perDatabase([database], mine);
  return {
    check: { kind: 'logical', source: `backup ${backup.id}`, ok: true, seconds: (Date.now() - t0) / 1000, tables: db!.tables, rows: db!.rows, databases: [db!] },
    counts: mine,
  };
}
