import type { Config } from '../config/types.js';
import type { Host } from '../hosts/host.js';
import { storeFor } from '../resources/backups/service.js';
import { backupsEnabled } from '../resources/backups/settings.js';
import { drillPrefix, overdueDrill } from './record.js';

// The drift check's drill part: every add-on with backups whose host was reached, judged on the listing of
// its drill records (record.ts: an add-on never drilled is not reported).

export async function overdueDrills(config: Config, hosts: Map<string, Host>, now = new Date()): Promise<string[]> {
  const out: string[] = [];
  for (const addon of config.addons.filter((a) => backupsEnabled(a) || a.backups.pitr)) {
    if (!hosts.has(addon.host)) continue;
    try {
      const store = await storeFor(config, hosts, addon.name);
      const overdue = overdueDrill(addon.name, await store.listKeys(drillPrefix(addon.name)), now);
      if (overdue) out.push(overdue);
    } catch (e) {
      out.push(`add-on ${addon.name}: its restore drills cannot be listed: ${(e as Error).message}`);
    }
  }
  return out;
}
