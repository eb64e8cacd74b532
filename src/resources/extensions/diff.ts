import type { Change } from '../../plan/types.js';
import { ident, literal } from '../../util/sql.js';
import { MANAGED_COMMENT } from '../instance/catalog-query.js';
import type { DesiredAddon, ObservedCatalog } from '../model.js';

// Pure: the declared extensions exist in the add-on's database. An extension dbform created and that
// left the file is dropped (without CASCADE: objects using it make the drop fail rather than vanish).
// Extensions created by others are never touched.

export function diffExtensions(desired: DesiredAddon, catalog: ObservedCatalog | null): Change[] {
  const observed = new Map((catalog?.databaseExists ? catalog.extensions : []).map((e) => [e.name, e]));
  const changes: Change[] = [];
  const base = (name: string) => ({ address: `addon.${desired.name}.extension.${name}`, kind: 'extension', host: desired.host, addon: desired.name });
  for (const name of desired.extensions) {
    const have = observed.get(name);
    if (have?.managed) continue;
    const statements = [`CREATE EXTENSION IF NOT EXISTS ${ident(name)}`, `COMMENT ON EXTENSION ${ident(name)} IS ${literal(MANAGED_COMMENT)}`];
    changes.push({
      ...base(name),
      action: have ? 'update' : 'create',
      reason: have ? 'existing extension taken under management' : `declared extension ${name}`,
      before: have ? { managed: false } : null,
      after: { name, managed: true },
      hazards: [],
      steps: [{ type: 'sql', addon: desired.name, database: desired.database, statements }],
    });
  }
  for (const have of observed.values()) {
    if (!have.managed || desired.extensions.includes(have.name)) continue;
    changes.push({
      ...base(have.name),
      action: 'delete',
      reason: `extension ${have.name} was removed from the file`,
      before: { name: have.name, managed: true },
      after: null,
      hazards: [{ code: 'DATA_LOSS', message: `DROP EXTENSION ${have.name}: its types and functions go; the drop fails if tables use them` }],
      steps: [{ type: 'sql', addon: desired.name, database: desired.database, statements: [`DROP EXTENSION ${ident(have.name)}`] }],
    });
  }
  return changes;
}
