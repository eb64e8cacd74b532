import type pg from 'pg';
import type { DesiredAddon, ObservedCatalog } from '../model.js';
import { CATALOG_SQL } from './catalog-query.js';

// Read-only: one connection and one query per add-on. Connects to the add-on's database when it
// exists, else to `postgres` (then only roles and the database's absence are known).
export async function gatherCatalog(
  connect: (database: string) => Promise<pg.Client>,
  desired: DesiredAddon,
): Promise<ObservedCatalog> {
  let client: pg.Client;
  try {
    client = await connect(desired.database);
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // 3D000: database does not exist
    client = await connect('postgres');
  }
  const res = await client.query<{ catalog: ObservedCatalog }>(CATALOG_SQL, [desired.roles.map((r) => r.name), desired.database]);
  const catalog = res.rows[0]!.catalog;
  for (const role of catalog.roles) role.ownedObjects = Number(role.ownedObjects);
  return catalog;
}
