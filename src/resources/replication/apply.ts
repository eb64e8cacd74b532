import type { Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { literal } from '../../util/sql.js';
import { scramVerifier } from '../users/scram.js';
import { REPLICATION_ROLE, SLOT_PREFIX } from '../replica/model.js';

// Executors of the primary's side of read replicas, as the superuser on the primary (the plan's instance).

/** dbform's replication role: LOGIN REPLICATION and nothing else, its password derived from the master key
 *  (sent as a SCRAM verifier, never in clear). Not marked managed: the users kind never touches it. */
const role: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const key = field<string>(step, 'passwordKey', 'string');
  if (key !== `addon/${addon}/replication`) throw new Error('plan step replication.role: passwordKey is not the add-on\'s');
  const verifier = scramVerifier(ctx.keystore.derivedPassword(key));
  const client = await ctx.pg(addon, 'postgres');
  await client.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${REPLICATION_ROLE}') THEN CREATE ROLE ${REPLICATION_ROLE}; END IF; END $$`);
  await client.query(`ALTER ROLE ${REPLICATION_ROLE} WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD ${literal(verifier)}`);
};

const SLOT_WAIT_MS = 120_000;

/** A slot in use cannot be dropped: its replica is being removed or promoted on its own host, maybe by this
 *  same apply. Waits for it to let go, then ends a sender still holding it. */
const dropSlot: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const slot = field<string>(step, 'slot', 'string');
  if (!slot.startsWith(SLOT_PREFIX) || !/^[a-z0-9_]+$/.test(slot)) throw new Error('plan step replication.drop-slot: not a read replica\'s slot');
  const client = await ctx.pg(addon, 'postgres');
  const deadline = Date.now() + SLOT_WAIT_MS;
  ctx.progress(`dropping the slot ${slot} of ${addon} once its replica lets go of it`);
  for (;;) {
    const r = await client.query<{ active_pid: number | null }>('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    if (!r.rows.length) return;
    const pid = r.rows[0]!.active_pid;
    if (pid === null) {
      await client.query('SELECT pg_drop_replication_slot($1)', [slot]);
      return;
    }
    if (Date.now() > deadline) await client.query('SELECT pg_terminate_backend($1)', [pid]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
};

export const replicationExecutors: Record<string, Executor> = { 'replication.role': role, 'replication.drop-slot': dropSlot };
