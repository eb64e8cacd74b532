import type { Host } from '../hosts/host.js';
import type { HostKeystore } from '../keystore/keystore.js';
import type { DesiredAddon } from '../resources/model.js';
import { UserError } from '../util/errors.js';
import type { ObservedTarget } from './plan.js';

// Read-only: what a restore overwrites. The add-on must already run (apply creates it): restore writes into
// its instance, and its users, owner and grants come from the file through the same convergence as apply's.

const TABLE_COUNT_SQL = `
SELECT current_setting('server_version') AS version, count(c.oid)::int AS tables
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'`;

export async function gatherTarget(host: Host, keystore: HostKeystore, target: DesiredAddon): Promise<ObservedTarget> {
  const notReady = (why: string) =>
    new UserError(`add-on ${target.name} on host ${host.name} ${why}: run dbform apply first (restore writes into a running add-on)`);
  const password = await keystore.get(target.superuserKey);
  if (password === undefined) throw notReady('has not been created yet');
  let client;
  try {
    client = await host.connectPg({ port: target.container.port, user: 'postgres', password, database: target.database });
  } catch (err) {
    if ((err as { code?: string }).code === '3D000') throw notReady(`has no database ${target.database} yet`);
    throw notReady(`does not answer on port ${target.container.port} (${(err as Error).message})`);
  }
  try {
    const row = (await client.query<{ version: string; tables: number }>(TABLE_COUNT_SQL)).rows[0]!;
    return { serverVersion: row.version, tables: row.tables };
  } finally {
    await client.end().catch(() => undefined);
  }
}
