import { createWriteStream, rmSync } from 'node:fs';
import { DateTime } from 'luxon';
import { createBackup, hostOfAddon, listBackups, readBackup, storeFor } from '../../resources/backups/service.js';
import type { BackupManifest } from '../../resources/backups/manifest.js';
import type { BackupStore } from '../../resources/backups/store.js';
import type { PitrStatus } from '../../resources/pitr/info.js';
import { readClusterPitrStatus, readPitrStatus } from '../../resources/pitr/status.js';
import { clusterPitrTaken } from '../../resources/pitr/cluster.js';
import { UserError } from '../../util/errors.js';
import { listJson, pitrText } from './backups-pitr.js';
import { size } from './byte-size.js';
import { err, out } from '../terminal.js';
import { openSession, type Session } from '../session.js';

export interface BackupsOptions {
  file: string;
  action: string;
  addon: string;
  backup?: string;
  out?: string;
  format?: 'text' | 'json';
}

function table(rows: BackupManifest[], timezone: string): string {
  // A highly available add-on's backups say which member took each (its replica, or its primary).
  const members = rows.some((m) => m.role);
  const head = ['ID', 'CREATED AT', 'SIZE', 'KIND', 'STATUS', ...(members ? ['TAKEN ON'] : [])];
  const body = rows.map((m) => [
    m.id,
    DateTime.fromISO(m.startedAt).setZone(timezone).toFormat('yyyy-MM-dd HH:mm ZZZZ'),
    size(m.size),
    m.kind,
    m.status === 'ok' ? (m.verified ? 'ok' : 'ok (unverified)') : m.status,
    ...(members ? [m.role ? `${m.host} (${m.role})` : m.host ?? ''] : []),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  return [head, ...body].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function pick(manifests: BackupManifest[], id: string | undefined, addon: string): BackupManifest {
  const m = id ? manifests.find((x) => x.id === id) : manifests.find((x) => x.status === 'ok');
  if (!m) throw new UserError(id ? `add-on ${addon} has no backup ${id}` : `add-on ${addon} has no successful backup yet`);
  if (m.status !== 'ok') throw new UserError(`backup ${m.id} of ${addon} is ${m.status}, not a usable backup`);
  return m;
}

/** What `backups list` shows, as data: the backups in the store (newest first) and, with PITR on, its status.
 *  The dashboard's /api/backups reads the same. */
export async function backupsListing(
  session: Pick<Session, 'config' | 'hosts'>,
  addon: string,
  known?: BackupStore,
): Promise<{ manifests: BackupManifest[]; pitr: PitrStatus | null }> {
  const { config } = session;
  const store = known ?? (await storeFor(config, session.hosts, addon));
  const manifests = await listBackups(store, addon);
  const declared = config.addons.find((a) => a.name === addon);
  // PITR is read on the add-on's host (a cluster's: on its members); a removed add-on, one without PITR, or a
  // cluster with a local directory storage (none is taken: cli/not-yet.ts) has only logical backups.
  const pitr = !declared?.backups.pitr ? null
    : declared.hosts.length > 1 ? (clusterPitrTaken(config, declared) ? await readClusterPitrStatus(config, session.hosts, addon) : null)
    : await readPitrStatus(config, await hostOfAddon(config, session.hosts, addon), addon);
  return { manifests, pitr };
}

/** A progress bar on stderr, only for a terminal. */
function progress(total: number | undefined): (n: number) => void {
  if (!process.stderr.isTTY || !total) return () => undefined;
  let last = -1;
  return (n) => {
    const pct = Math.floor((n / total) * 100);
    if (pct === last) return;
    last = pct;
    const width = 30;
    const done = Math.round((pct / 100) * width);
    process.stderr.write(`\r[${'#'.repeat(done)}${' '.repeat(width - done)}] ${pct}% ${size(n)}/${size(total)}${pct === 100 ? '\n' : ''}`);
  };
}

export async function backupsCommand(opts: BackupsOptions): Promise<number> {
  const session = await openSession(opts.file, (m) => err(`Warning: ${m}`), undefined, 'read');
  try {
    const { config } = session;
    const store = await storeFor(config, session.hosts, opts.addon);
    switch (opts.action) {
      case 'list': {
        const { manifests, pitr } = await backupsListing(session, opts.addon, store);
        if (opts.format === 'json') {
          out(JSON.stringify(listJson(opts.addon, manifests, pitr), null, 2));
          return 0;
        }
        out(manifests.length ? table(manifests, config.defaults.timezone) : `No backups of ${opts.addon} in ${store.description}.`);
        if (pitr) out('\n' + pitrText(pitr, config.defaults.timezone));
        return 0;
      }
      case 'create': {
        const declared = config.addons.find((a) => a.name === opts.addon);
        // A highly available add-on's backup is taken where its members decide (the replica, see createBackup).
        const where = declared && declared.hosts.length > 1 ? 'on its replica' : `on ${(await hostOfAddon(config, session.hosts, opts.addon)).name}`;
        const t0 = Date.now();
        out(`Backing up ${opts.addon} ${where} to ${store.description}...`);
        const { id, pruned, host } = await createBackup(config, session.hosts, opts.addon);
        const m = (await listBackups(store, opts.addon)).find((x) => x.id === id);
        const taker = m?.role ? ` on ${host} (the ${m.role})` : '';
        out(`Backup ${id} finished${taker} in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${size(m?.size)}, sha256 ${m?.sha256 ?? '?'}.`);
        // The host applied the plan's retention right after the backup, as it does after cron's.
        for (const p of pruned) out(`Pruned ${p} (retention of plan ${config.addons.find((a) => a.name === opts.addon)?.plan}).`);
        return 0;
      }
      case 'download': {
        const m = pick(await listBackups(store, opts.addon), opts.backup, opts.addon);
        const path = opts.out ?? `${opts.addon}-${m.id}.dump`;
        try {
          const r = await readBackup(store, session.masterKey, m, createWriteStream(path, { mode: 0o600 }), progress(m.size));
          out(`Downloaded backup ${m.id} of ${opts.addon} to ${path} (checksum verified: sha256 ${r.sha256}). Restore it with: pg_restore --no-owner -d DATABASE_URL ${path}`);
        } catch (e) {
          rmSync(path, { force: true }); // never leave a file that looks like a good dump
          throw e;
        }
        return 0;
      }
      case 'verify': {
        const m = pick(await listBackups(store, opts.addon), opts.backup, opts.addon);
        const r = await readBackup(store, session.masterKey, m, null, progress(m.size));
        out(`Backup ${m.id} of ${opts.addon} is intact: ${size(r.bytes)}, sha256 ${r.sha256}, decrypts completely.`);
        return 0;
      }
      default:
        throw new UserError(`unknown backups command ${opts.action}: use list, create, download, verify or drill`);
    }
  } finally {
    await session.close();
  }
}
