import { addonsOf, withSuperuser } from '../../status/addons.js';
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
    const [addon] = addonsOf(session, opts.addon);
    const list = await withSuperuser(session, addon!, (c) => readSessions(c, opts.idle)).catch((e: Error) => {
      throw new UserError(`add-on ${opts.addon}: cannot read its sessions: ${e.message}`);
    });
    out(opts.format === 'json' ? JSON.stringify({ addon: opts.addon, idleShown: opts.idle, sessions: list }, null, 2) : sessionsText(list, process.stdout.columns ?? 160));
    return 0;
  } finally {
    await session.close();
  }
}
