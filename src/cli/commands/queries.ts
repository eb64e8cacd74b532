import { withClient } from '../../gather/host-reader.js';
import { superuserKey } from '../../resources/desired.js';
import { readSessions, sessionsText } from '../../status/queries.js';
import { UserError } from '../../util/errors.js';
import { err, out } from '../terminal.js';
import { openSession } from '../session.js';

// `dbform queries ADDON [--idle] [--format json]`: the add-on's sessions (pg_stat_activity), read as the
// superuser through the host, the way gather reads the catalog. Read-only.

export interface QueriesOptions {
  file: string;
  addon: string;
  idle: boolean;
  format: 'text' | 'json';
}

export async function queriesCommand(opts: QueriesOptions): Promise<number> {
  const session = await openSession(opts.file, (m) => err(`Warning: ${m}`), undefined, 'read');
  try {
    const addon = session.config.addons.find((a) => a.name === opts.addon);
    if (!addon) throw new UserError(`no add-on named ${opts.addon} in ${opts.file}`);
    const host = session.hosts.get(addon.host);
    if (!host) throw new UserError(`host ${addon.host}: ${session.hostErrors.get(addon.host) ?? 'not connected'}`);
    const password = await session.keystores.get(addon.host)!.get(superuserKey(addon.name));
    if (password === undefined) throw new UserError(`add-on ${addon.name}: not applied yet (no superuser password in the keystore on ${addon.host})`);
    const list = await withClient(host, addon.port, password, async (connect) => readSessions(await connect('postgres'), opts.idle)).catch((e: Error) => {
      throw new UserError(`add-on ${addon.name}: cannot read its sessions: ${e.message}`);
    });
    out(opts.format === 'json' ? JSON.stringify({ addon: addon.name, idleShown: opts.idle, sessions: list }, null, 2) : sessionsText(list, process.stdout.columns ?? 160));
    return 0;
  } finally {
    await session.close();
  }
}
