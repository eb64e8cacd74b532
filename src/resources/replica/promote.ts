import type { ApplyContext, Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { run } from '../../hosts/host.js';
import { shellJoin, shq } from '../../util/shell.js';
import { ident as quoteIdent, literal as quoteLiteral } from '../../util/sql.js';
import type { Step } from '../../plan/types.js';
import { CONTAINER_DATA_DIR, userPasswordKey } from '../desired.js';
import { scramVerifier } from '../users/scram.js';
import { STANDBY_SQL, parseStandby } from './gather.js';
import { replicaDir } from './apply.js';
import { REPLICATION_USER } from '../ha/render.js';

// Promotes a read replica to an add-on of its own (`promotedFrom:`): pg_promote(), then the copy becomes the
// new add-on's: its database and owner role, named after the source, are renamed after the new add-on (the
// tables, their rows and grants are kept), the superuser gets the new add-on's password, the standby settings
// (with the replication password) go, and its data directory moves to the new add-on's. The new add-on's
// container, users and grants are made right after, as for any add-on whose data exists.

const CAUGHT_UP_WAIT_MS = 30_000;

function psql(name: string, port: number, sql: string[]): string {
  return shellJoin(['docker', 'exec', '-i', '--user', 'postgres', name, 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-h', '/tmp', '-p', port, '-d', 'postgres', ...sql.flatMap((s) => ['-c', s])]);
}

/** Refuses (unless the plan allowed DATA_LOSS) while the replica has not replayed all it heard of its primary:
 *  a plan made while it was caught up may meet it behind now. Waits a little for it to catch up. */
async function checkCaughtUp(ctx: ApplyContext, name: string, port: number, source: string): Promise<void> {
  const deadline = Date.now() + CAUGHT_UP_WAIT_MS;
  for (;;) {
    const standby = parseStandby((await run(ctx.host, `reading the replication state of ${name}`, psql(name, port, [STANDBY_SQL]))).trim());
    if (!standby) throw new Error(`host ${ctx.host.name}: cannot read the replication state of ${name}`);
    if (!standby.inRecovery || (standby.caughtUp && standby.receiver === 'streaming' && !standby.paused)) return;
    if (Date.now() > deadline) {
      throw new Error(`host ${ctx.host.name}: promotion refused: the read replica of ${source} is behind its primary (${standby.paused ? 'replay paused, ' : ''}lag ${standby.behindMb ?? '?'} MB); wait for lag 0, or plan again and allow DATA_LOSS`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** The new add-on's own passwords for the roles it declares that the copy has (the others are created next). */
async function rolePasswords(step: Step, ctx: ApplyContext, addon: string): Promise<string> {
  const roles = step.roles;
  if (!Array.isArray(roles)) throw new Error('plan step replica.promote: roles is not a list');
  const out: string[] = [];
  for (const r of roles as Array<{ name?: unknown; key?: unknown }>) {
    if (typeof r.name !== 'string' || r.key !== userPasswordKey(addon, r.name)) throw new Error('plan step replica.promote: a role of another add-on');
    const verifier = scramVerifier(await ctx.keystore.getOrCreatePassword(r.key));
    out.push(`SELECT format('ALTER ROLE %I PASSWORD %L', rolname, ${quoteLiteral(verifier)}) FROM pg_roles WHERE rolname = ${quoteLiteral(r.name)} \\gexec`);
  }
  return out.join('\n') + '\n';
}

/** A cluster's copy has Patroni's replication user (LOGIN REPLICATION, with the cluster's password): it is not
 *  the new add-on's, which drops it. */
function dropClusterUser(step: Step): string[] {
  if (step.clusterUser === undefined) return [];
  if (step.clusterUser !== REPLICATION_USER) throw new Error('plan step replica.promote: clusterUser is not Patroni\'s replication user');
  return [`DROP ROLE IF EXISTS ${REPLICATION_USER}`];
}

export const promote: Executor = async (step, ctx) => {
  const source = field<string>(step, 'source', 'string');
  const addon = field<string>(step, 'addon', 'string');
  const name = field<string>(step, 'name', 'string');
  const port = field<number>(step, 'port', 'number');
  const image = field<string>(step, 'image', 'string');
  const dataDir = replicaDir(step);
  const target = field<string>(step, 'targetDataDir', 'string');
  if (!target.endsWith(`/${addon}`) || field<string>(step, 'superuserKey', 'string') !== `addon/${addon}/postgres`) throw new Error('plan step replica.promote: target of another add-on');
  const alreadyMoved = (await ctx.host.exec(`test -s ${shq(`${target}/pgdata/PG_VERSION`)}`)).code === 0;
  if (!alreadyMoved) {
    if (!field<boolean>(step, 'allowBehind', 'boolean')) await checkCaughtUp(ctx, name, port, source);
    ctx.progress(`promoting the read replica of ${source} on ${ctx.host.name} to add-on ${addon}`);
    await run(ctx.host, `promoting ${name}`, psql(name, port, ['SELECT pg_promote(true, 60) WHERE pg_is_in_recovery()']));
    const verifier = scramVerifier(await ctx.keystore.getOrCreatePassword(field<string>(step, 'superuserKey', 'string')));
    // The source's sessions on the copy go: a database in use cannot be renamed (it restarts right after anyway).
    const rename = [
      'ALTER SYSTEM RESET primary_conninfo', 'ALTER SYSTEM RESET primary_slot_name', ...dropClusterUser(step),
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(source)} AND pid <> pg_backend_pid()`,
      `DO $$ BEGIN
         IF EXISTS (SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(source)}) AND NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(addon)}) THEN
           EXECUTE ${quoteLiteral(`ALTER DATABASE ${quoteIdent(source)} RENAME TO ${quoteIdent(addon)}`)}; END IF;
         IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${quoteLiteral(source)}) AND NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${quoteLiteral(addon)}) THEN
           EXECUTE ${quoteLiteral(`ALTER ROLE ${quoteIdent(source)} RENAME TO ${quoteIdent(addon)}`)}; END IF;
       END $$`,
    ];
    await run(ctx.host, `making the copy of ${source} add-on ${addon}`, psql(name, port, rename));
    // Verifiers (not passwords) on stdin: they never show in a process list.
    await run(ctx.host, `setting the passwords of ${addon}`, shellJoin(['docker', 'exec', '-i', '--user', 'postgres', name, 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-h', '/tmp', '-p', port, '-d', 'postgres']),
      { stdin: `ALTER ROLE postgres PASSWORD ${quoteLiteral(verifier)};\n${await rolePasswords(step, ctx, addon)}` });
    await run(ctx.host, `stopping ${name}`, `docker stop -t 60 ${shq(name)} >/dev/null`);
    await run(ctx.host, `moving the data of ${addon}`, `mkdir -p ${shq(target)} && mv ${shq(`${dataDir}/pgdata`)} ${shq(`${target}/pgdata`)} && sync`);
    await run(ctx.host, `handing ${target} to PostgreSQL`, shellJoin(['docker', 'run', '--rm', '--user', 'root', '--network', 'none', '-v', `${target}:${CONTAINER_DATA_DIR}`, image, 'chown', 'postgres:postgres', CONTAINER_DATA_DIR]));
  }
  await run(ctx.host, `removing the read replica of ${source}`, `docker rm -f ${shq(name)} >/dev/null 2>&1; rm -rf ${shq(dataDir)}`);
};
