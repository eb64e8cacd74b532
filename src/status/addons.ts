import type pg from 'pg';
import type { AddonConfig } from '../config/types.js';
import { batchedReadsOf } from '../gather/batched-reads.js';
import { withClient } from '../gather/host-reader.js';
import { superuserKey } from '../resources/desired.js';
import type { Session } from '../cli/session.js';
import { UserError } from '../util/errors.js';

// The add-ons a status command is about, and the one way status, queries and the dashboard reach an add-on's
// catalog: as its superuser, over the host's SSH connection, with the password from the host's keystore.

export function addonsOf(session: Pick<Session, 'config'>, addon: string | undefined): AddonConfig[] {
  const all = session.config.addons;
  if (addon === undefined) return all;
  const found = all.filter((a) => a.name === addon);
  if (!found.length) throw new UserError(`no add-on named ${addon} in ${session.config.file}`);
  return found;
}

/** Runs `fn` on a connection to the add-on's `postgres` database as its superuser, through its host (the way
 *  gather reads the catalog), and closes it. */
export async function withSuperuser<T>(session: Session, a: AddonConfig, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const live = session.hosts.get(a.host);
  const keystore = session.keystores.get(a.host);
  if (!live || !keystore) throw new Error(`host ${a.host}: ${session.hostErrors.get(a.host) ?? 'not connected'}`);
  const password = await keystore.get(superuserKey(a.name), batchedReadsOf(live));
  if (password === undefined) throw new Error(`add-on ${a.name} is not applied yet (the keystore on ${a.host} has no superuser password for it)`);
  return withClient(live, a.port, password, async (connect) => fn(await connect('postgres')));
}
