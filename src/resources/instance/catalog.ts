import type pg from 'pg';
import type { DesiredAddon, ObservedCatalog } from '../model.js';
import { CATALOG_SQL } from './catalog-query.js';
import { archiverFailing, archiverFromRow } from '../pitr/info.js';

// Read-only: one connection and one query per add-on (and whether its WAL archiving fails, from the same query). Connects to the add-on's database when it
// exists, else to `postgres` (then only roles and the database's absence are known).
export async function gatherCatalog(
  connect: (database: string) => Promise<pg.Client>,
  desired: DesiredAddon,
): Promise<{ catalog: ObservedCatalog; archivingFailingSince: string | null }> {
  let client: pg.Client;
  try {
    client = await connect(desired.database);
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // 3D000: database does not exist
    client = await connect('postgres');
  }
  const res = await client.query<{ catalog: ObservedCatalog & { archiver: Record<string, string | number | null> | null } }>(CATALOG_SQL, [desired.roles.map((r) => r.name), desired.database]);
  const { archiver, ...catalog } = res.rows[0]!.catalog;
  for (const role of catalog.roles) role.ownedObjects = Number(role.ownedObjects);
  const stats = archiver ? archiverFromRow(archiver) : null;
  return { catalog, archivingFailingSince: stats && archiverFailing(stats) ? stats.lastFailedAt : null };
}
