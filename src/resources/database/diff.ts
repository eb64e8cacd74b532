import type { Change } from '../../plan/types.js';
import { ident } from '../../util/sql.js';
import type { DesiredAddon, ObservedCatalog } from '../model.js';

// Pure: the add-on's database exists and belongs to the owner role named after the add-on.
export function diffDatabase(desired: DesiredAddon, catalog: ObservedCatalog | null): Change[] {
  const base = { address: `addon.${desired.name}.database`, kind: 'database', host: desired.host, addon: desired.name, hazards: [] };
  const db = ident(desired.database);
  const owner = ident(desired.name);
  if (!catalog?.databaseExists) {
    return [{
      ...base,
      action: 'create',
      reason: `database of add-on ${desired.name}`,
      before: null,
      after: { name: desired.database, owner: desired.name, encoding: 'UTF8' },
      // CREATE DATABASE cannot run inside a transaction block.
      steps: [{ type: 'sql', addon: desired.name, database: 'postgres', transaction: false,
        statements: [`CREATE DATABASE ${db} OWNER ${owner} ENCODING 'UTF8' TEMPLATE template0`] }],
    }];
  }
  if (catalog.databaseOwner !== desired.name) {
    return [{
      ...base,
      action: 'update',
      reason: `owner is ${catalog.databaseOwner}, not ${desired.name}`,
      before: { owner: catalog.databaseOwner },
      after: { owner: desired.name },
      steps: [{ type: 'sql', addon: desired.name, database: 'postgres', statements: [`ALTER DATABASE ${db} OWNER TO ${owner}`] }],
    }];
  }
  return [];
}
