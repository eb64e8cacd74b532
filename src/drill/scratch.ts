import type { Host } from '../hosts/host.js';
import { run } from '../hosts/host.js';
import { CONTAINER_DATA_DIR } from '../resources/desired.js';
import { TABLES_SQL } from '../restore/executors.js';
import { shellJoin, shq } from '../util/shell.js';
import type { DatabaseCount } from './record.js';

// The scratch instances of a drill on the add-on's host: their directory, their containers, a start, the
// check that reads every table of every database, and their removal. A scratch instance has no network at
// all (--network none) and listens on its container's own socket only: nothing reaches it but this check,
// and it can clash with no port. Its names hold a dot, which no add-on name has: they cannot be an add-on's
// container (dbform-ADDON) or a restore's check container (dbform-ADDON-restore-check).

const READY_TIMEOUT_MS = 300_000;
/** Inside every scratch container: the instance listens here, on its socket in /tmp. */
export const SCRATCH_PORT = 5432;

export type ScratchKind = 'logical' | 'pitr' | 'pitr-replay';

export interface Scratch {
  host: Host;
  addon: string;
  image: string;
  memoryMb: number;
  /** On the host; mounted as /var/lib/dbform in the scratch containers. */
  dir: string;
}

export function scratchDir(hostDataDir: string, addon: string): string {
  return `${hostDataDir}/.drill/${addon}`;
}

export function scratchContainer(addon: string, kind: ScratchKind): string {
  return `dbform-${addon}.drill-${kind}`;
}

const KINDS: ScratchKind[] = ['logical', 'pitr', 'pitr-replay'];

/** Removes every scratch container and the scratch directory (idempotent: also what a killed drill left). */
export async function removeScratch(s: Pick<Scratch, 'host' | 'addon' | 'dir'>): Promise<void> {
  const names = KINDS.map((k) => shq(scratchContainer(s.addon, k))).join(' ');
  // The parent (.drill) goes too once no other add-on's drill uses it: a drill leaves nothing behind.
  const parent = s.dir.slice(0, s.dir.lastIndexOf('/'));
  await run(s.host, `removing the drill's scratch instances of ${s.addon}`,
    `docker rm -f ${names} >/dev/null 2>&1; rm -rf ${shq(s.dir)} && { rmdir ${shq(parent)} 2>/dev/null; true; }`);
}

/** The scratch directory, owned by the image's postgres user (who runs initdb, pgBackRest and PostgreSQL). */
export async function makeScratchDir(s: Scratch): Promise<void> {
  await run(s.host, `preparing ${s.dir}`, `mkdir -p ${shq(s.dir)}`);
  await run(s.host, `preparing ${s.dir}`, shellJoin(['docker', 'run', '--rm', '--user', 'root', '--network', 'none', '-v', `${s.dir}:${CONTAINER_DATA_DIR}`, s.image,
    'sh', '-c', `chown postgres:postgres ${CONTAINER_DATA_DIR} && chmod 700 ${CONTAINER_DATA_DIR}`]));
}

/** Starts PostgreSQL on `pgdata` (a path inside the container) as a scratch instance and waits until it answers. */
export async function startScratch(s: Scratch, kind: ScratchKind, pgdata: string, settings: Record<string, string> = {}): Promise<string> {
  const name = scratchContainer(s.addon, kind);
  const all = { ...settings, listen_addresses: '', unix_socket_directories: '/tmp', port: String(SCRATCH_PORT) };
  await run(s.host, `starting the scratch instance ${name}`, shellJoin(['docker', 'run', '-d', '--name', name, '--network', 'none', '--user', 'postgres',
    '--memory', `${s.memoryMb}m`, '--memory-swap', `${s.memoryMb}m`, '-v', `${s.dir}:${CONTAINER_DATA_DIR}`, s.image,
    'postgres', '-D', pgdata, ...Object.entries(all).flatMap(([k, v]) => ['-c', `${k}=${v}`])]) + ' >/dev/null');
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const r = await s.host.exec(shellJoin(['docker', 'exec', name, 'pg_isready', '-q', '-h', '/tmp', '-p', SCRATCH_PORT]));
    if (r.code === 0) return name;
    const state = await s.host.exec(shellJoin(['docker', 'inspect', '-f', '{{.State.Status}}', name]));
    if (state.stdout.trim() !== 'running') {
      const logs = await s.host.exec(`docker logs --tail 4 ${shq(name)} 2>&1`);
      throw new Error(`the restored instance did not start: ${logs.stdout.trim().split('\n').join(' | ')}`);
    }
    if (Date.now() > deadline) throw new Error(`the restored instance did not answer within ${READY_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** psql as the superuser over the scratch container's socket; the SQL on stdin. */
export async function scratchPsql(s: Scratch, container: string, database: string, sql: string): Promise<string> {
  const cmd = shellJoin(['docker', 'exec', '-i', container, 'psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '/tmp', '-p', SCRATCH_PORT, '-U', 'postgres', '-d', database]);
  const r = await s.host.exec(cmd, { stdin: sql });
  if (r.code !== 0) throw new Error(`in database ${database}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')}`);
  return r.stdout;
}

export interface TableCount {
  database: string;
  table: string;
  rows: number;
}

/** Pure: "N schema.table" lines (what countTables' queries print) as counts. */
export function parseCounts(database: string, output: string): TableCount[] {
  return output
    .split('\n')
    .filter((l) => /^\d+ /.test(l))
    .map((l) => ({ database, table: l.slice(l.indexOf(' ') + 1), rows: Number(l.slice(0, l.indexOf(' '))) }));
}

/** Pure: counts per database, in the order given. */
export function perDatabase(databases: string[], counts: TableCount[]): DatabaseCount[] {
  return databases.map((name) => {
    const mine = counts.filter((c) => c.database === name);
    return { name, tables: mine.length, rows: mine.reduce((n, c) => n + c.rows, 0) };
  });
}

/** Every table of every database of the instance, read to its end (`SELECT count(*)`, as a restore's check). */
export async function countTables(s: Scratch, container: string): Promise<{ databases: string[]; counts: TableCount[] }> {
  const list = await scratchPsql(s, container, 'postgres', 'SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1');
  const databases = list.split('\n').filter(Boolean);
  const counts: TableCount[] = [];
  // One query per table, written by the server itself (\gexec) from the restore check's list of tables.
  const sql = `SELECT format('SELECT count(*) || %L FROM %s', ' ' || name, name) FROM (${TABLES_SQL}) t \\gexec\n`;
  for (const db of databases) counts.push(...parseCounts(db, await scratchPsql(s, container, db, sql)));
  return { databases, counts };
}
