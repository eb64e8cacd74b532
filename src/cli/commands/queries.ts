import type pg from 'pg';
import type { AddonConfig } from '../../config/types.js';
import { addonsOf, withMemberSuperuser, withReplicaSuperuser, withSuperuser } from '../../status/addons.js';
import { type Instance, instanceLabel, instanceOn } from '../../status/instance-on.js';
import { readSessions, sessionsText } from '../../status/queries.js';
import { UserError } from '../../util/errors.js';
import { err, out } from '../terminal.js';
import { openSession, type Session } from '../session.js';

// `dbform queries ADDON [--idle] [--format json]`: the add-on's sessions (pg_stat_activity), read as the
// superuser through the host, the way gather reads the catalog: the primary's (a cluster's through its gateway),
// or with --host those of a cluster's member or a read replica on that host, at its own port. Read-only.

export interface QueriesOptions {
  file: string;
  addon: string;
  idle: boolean;
  format: 'text' | 'json';
  /** A cluster member's or read replica's host. */
  host?: string;
}

function onInstance<T>(session: Session, a: AddonConfig, i: Instance, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  if (i.kind === 'member') return withMemberSuperuser(session, a, i.host, fn);
  if (i.kind === 'read-replica') return withReplicaSuperuser(session, a, i.host, fn);
  return withSuperuser(session, a, fn);
}

export async function queriesCommand(opts: QueriesOptions): Promise<number> {
  const session = await openSession(opts.file, (m) => err(`Warning: ${m}`), undefined, 'read');
  try {
    const addon = addonsOf(session, opts.addon)[0]!;
    const instance = instanceOn(addon, opts.host);
    const list = await onInstance(session, addon, instance, (c) => readSessions(c, opts.idle)).catch((e: Error) => {
      throw new UserError(`${instanceLabel(addon, instance)}: cannot read its sessions: ${e.message}`);
    });
    const json = { addon: opts.addon, ...(opts.host !== undefined && { host: opts.host, instance: instance.kind }), idleShown: opts.idle, sessions: list };
    out(opts.format === 'json' ? JSON.stringify(json, null, 2) : sessionsText(list, process.stdout.columns ?? 160));
    return 0;
  } finally {
    await session.close();
  }
}
