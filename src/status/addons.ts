import type pg from 'pg';
import type { AddonConfig } from '../config/types.js';
import { batchedReadsOf } from '../gather/batched-reads.js';
import { withClient } from '../gather/host-reader.js';
import { superuserKey } from '../resources/desired.js';
import type { Session } from '../cli/session.js';
import { UserError } from '../util/errors.js';
import { haPorts } from '../config/ha-check.js';

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
 *  gather reads the catalog), and closes it. A highly available add-on's port is its gateway's: the primary. */
export async function withSuperuser<T>(session: Session, a: AddonConfig, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return onInstance(session, a.name, a.host, a.port, fn);
}

/** The same on one member of a highly available add-on, at its own PostgreSQL port on its host (its superuser
 *  may log in from the host's loopback: patroniHba). */
export async function withMemberSuperuser<T>(session: Session, a: AddonConfig, host: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return onInstance(session, a.name, host, haPorts(a.port).postgres, fn);
}

/** The same on one of its read replicas, at the add-on's port on the replica's host. A replica is a copy: its
 *  superuser's password (and pg_hba.conf) are the primary's, whose host's keystore holds it. */
export async function withReplicaSuperuser<T>(session: Session, a: AddonConfig, host: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return onInstance(session, a.name, host, a.port, fn, a.host);
}

async function onInstance<T>(session: Session, addon: string, host: string, port: number, fn: (client: pg.Client) => Promise<T>, keyHost = host): Promise<T> {
  const live = session.hosts.get(host);
  const keyLive = session.hosts.get(keyHost);
  const keystore = session.keystores.get(keyHost);
  if (!live) throw new Error(`host ${host}: ${session.hostErrors.get(host) ?? 'not connected'}`);
  if (!keyLive || !keystore) throw new Error(`host ${keyHost}: ${session.hostErrors.get(keyHost) ?? 'not connected'}`);
  const password = await keystore.get(superuserKey(addon), batchedReadsOf(keyLive));
  if (password === undefined) throw new Error(`add-on ${addon} is not applied yet (the keystore on ${keyHost} has no superuser password for it)`);
  return withClient(live, port, password, async (connect) => fn(await connect('postgres')));
}
