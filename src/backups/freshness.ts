import type { Config } from '../config/types.js';
import type { Host } from '../hosts/host.js';
import { shq } from '../util/shell.js';
import { listBackups, storeFor } from './service.js';
import { backupsEnabled, cronPath } from './settings.js';

// The drift check's backup part: an add-on whose last good backup is older than 26 hours (a daily
// backup plus two hours of slack) is drift, whatever the file says. An add-on that has none yet counts
// only once its schedule has been installed for 26 hours.
export const MAX_AGE_HOURS = 26;

export async function staleBackups(config: Config, hosts: Map<string, Host>, now = new Date()): Promise<string[]> {
  const limit = now.getTime() - MAX_AGE_HOURS * 3600 * 1000;
  const out: string[] = [];
  for (const addon of config.addons.filter(backupsEnabled)) {
    const host = hosts.get(addon.host);
    if (!host) continue;
    try {
      const newest = (await listBackups(await storeFor(config, hosts, addon.name), addon.name)).find((m) => m.status === 'ok');
      if (newest) {
        if (Date.parse(newest.startedAt) < limit) out.push(`add-on ${addon.name}: the last good backup (${newest.id}) is older than ${MAX_AGE_HOURS} hours`);
        continue;
      }
      const installed = await host.exec(`stat -c %Y ${shq(cronPath(addon.name))}`);
      if (installed.code === 0 && Number(installed.stdout.trim()) * 1000 < limit) {
        out.push(`add-on ${addon.name}: no successful backup, and its schedule was installed more than ${MAX_AGE_HOURS} hours ago`);
      }
    } catch (e) {
      out.push(`add-on ${addon.name}: its backups cannot be listed: ${(e as Error).message}`);
    }
  }
  return out;
}
