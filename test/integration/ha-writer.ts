// A writer that commits one row at a time through a highly available add-on's DATABASE_URL, the way an
// application does: on any error it reconnects (trying each gateway of the multi-host URL in turn) and
// counts the row it was committing as in doubt, never as lost or as written.
import pg from 'pg';

export interface Target {
  user: string;
  password: string;
  hosts: Array<{ host: string; port: number }>;
  database: string;
}

/** postgres://user:pw@h1:p1,h2:p2/db (node-postgres reads one host only: the writer tries each). */
export function parseMultiHostUrl(url: string): Target {
  const m = /^postgres:\/\/([^:]+):([^@]+)@([^/]+)\/([^?]+)/.exec(url);
  if (!m) throw new Error('not a postgres:// URL');
  const hosts = m[3]!.split(',').map((hp) => ({ host: hp.slice(0, hp.lastIndexOf(':')), port: Number(hp.slice(hp.lastIndexOf(':') + 1)) }));
  return { user: decodeURIComponent(m[1]!), password: decodeURIComponent(m[2]!), hosts, database: decodeURIComponent(m[4]!) };
}

/** Connects to the first gateway that answers, starting with the one that worked last. */
export async function connectAny(t: Target, start = 0): Promise<{ client: pg.Client; index: number }> {
  let last: unknown;
  for (let k = 0; k < t.hosts.length; k++) {
    const index = (start + k) % t.hosts.length;
    const client = new pg.Client({ ...t.hosts[index]!, user: t.user, password: t.password, database: t.database, connectionTimeoutMillis: 500, query_timeout: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return { client, index };
    } catch (err) {
      last = err;
      await client.end().catch(() => undefined);
    }
  }
  throw last;
}

export interface WriterResult {
  acked: number[];
  inDoubt: number[];
  /** When each acknowledged row was acknowledged (ms since the writer started), in order. */
  ackedAt: number[];
}

/** Writes rows 1, 2, ... into `table` until `stop()` resolves true. */
export async function runWriter(t: Target, table: string, shouldStop: () => boolean): Promise<WriterResult> {
  const started = Date.now();
  const result: WriterResult = { acked: [], inDoubt: [], ackedAt: [] };
  let conn: { client: pg.Client; index: number } | null = null;
  let next = 1;
  let preferred = 0;
  while (!shouldStop()) {
    if (!conn) {
      try {
        conn = await connectAny(t, preferred);
        preferred = conn.index;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
    }
    const id = next++;
    try {
      await conn.client.query(`INSERT INTO ${table} (id) VALUES ($1)`, [id]);
      result.acked.push(id);
      result.ackedAt.push(Date.now() - started);
    } catch {
      // Failed commit (connection cut, read-only replica, timeout): in doubt, and a new connection.
      result.inDoubt.push(id);
      await conn.client.end().catch(() => undefined);
      conn = null;
    }
  }
  await conn?.client.end().catch(() => undefined);
  return result;
}

/** The longest time between two acknowledged commits. */
export function longestGapMs(r: WriterResult): number {
  let gap = 0;
  for (let i = 1; i < r.ackedAt.length; i++) gap = Math.max(gap, r.ackedAt[i]! - r.ackedAt[i - 1]!);
  return gap;
}
