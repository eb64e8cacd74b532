import type { Config } from '../../config/types.js';
import type { Host } from '../../hosts/host.js';
import { shq } from '../../util/shell.js';
import type { BackupManifest } from './manifest.js';
import { listBackups, storeFor } from './service.js';
import { backupsEnabled, cronPath } from './settings.js';

// The drift check's backup part: an add-on whose last good backup is older than 26 hours (a daily
// backup plus two hours of slack) is drift, whatever the file says. An add-on that has none yet counts
// only once its schedule has been installed for 26 hours.
export const MAX_AGE_HOURS = 26;

/** Pure: why an add-on's backups are late, or null. `scheduledSince`: when its cron file was installed. */
export function lateBackups(addon: string, manifests: BackupManifest[], scheduledSince: Date | null, now: Date): string | null {
  const limit = now.getTime() - MAX_AGE_HOURS * 3600 * 1000;
  const newest = manifests.filter((m) => m.status === 'ok').sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  if (newest) return Date.parse(newest.startedAt) < limit ? `add-on ${addon}: the last good backup (${newest.id}) is older than ${MAX_AGE_HOURS} hours` : null;
  if (scheduledSince && scheduledSince.getTime() < limit) return `add-on ${addon}: no successful backup, and its schedule was installed more than ${MAX_AGE_HOURS} hours ago`;
  return null;
}

export async function staleBackups(config: Config, hosts: Map<string, Host>, now = new Date()): Promise<string[]> {
  const out: string[] = [];
  for (const addon of config.addons.filter(backupsEnabled)) {
    const host = hosts.get(addon.host);
    if (!host) continue;
    try {
      const manifests = await listBackups(await storeFor(config, hosts, addon.name), addon.name);
      const installed = await host.exec(`stat -c %Y ${shq(cronPath(addon.name))}`);
      const since = installed.code === 0 ? new Date(Number(installed.stdout.trim()) * 1000) : null;
      const late = lateBackups(addon.name, manifests, since, now);
      if (late) out.push(late);
    } catch (e) {
      out.push(`add-on ${addon.name}: its backups cannot be listed: ${(e as Error).message}`);
    }
  }
  return out;
}
