import type { AddonConfig, Config, SshHost } from '../../config/types.js';
import { addonImage } from '../../config/image.js';
import type { Host } from '../../hosts/host.js';
import { run } from '../../hosts/host.js';
import type { HostKeystore } from '../../keystore/keystore.js';
import { fillEnvOrThrow } from '../../util/env-template.js';
import { UserError } from '../../util/errors.js';
import { ident, literal } from '../../util/sql.js';
import { shellJoin, shq } from '../../util/shell.js';
import { CONTAINER_DATA_DIR, PGDATA, containerName, superuserKey, userPasswordKey } from '../desired.js';
import { storageOf } from '../backups/settings.js';
import { scramVerifier } from '../users/scram.js';
import { renderHba } from '../hba/hba.js';
import { deleteClusterStateAt } from '../ha/dcs-keys.js';
import { REPLICATION_USER } from '../ha/render.js';
import { replicationPasswordKey } from '../replica/model.js';
import { type RestoreTarget } from './restore-target.js';
import { type Where, checkName, prepare } from './restore.js';
import { patroniCopySettings, unPatroniCommand } from './restore-cluster.js';
import { CONTAINER_PGBACKREST_ETC, CONTAINER_REPO_DIR, cipherFileContent, passphraseKey, pitrStateDir, renderPitrFiles } from './settings.js';

// `dbform restore SOURCE --to TIME --into NEW`: a point in time of SOURCE becomes the add-on NEW, declared in
// the file and not created yet, on any host that reaches SOURCE's repository. The copy is prepared in NEW's
// directory as in place (pgBackRest restore, a check instance that replays and promotes, without archiving:
// NEW's own stanza is made by apply afterwards), then made NEW's: its database and owner role take NEW's name,
// SOURCE's other roles go (their objects to the owner), the superuser's password is NEW's. Only then is
// pgdata in place; apply then creates NEW's container on it (no initdb) and converges users and grants.
// NEW highly available (`hosts: [A, B]`): the copy is prepared the same way in the preferred member's directory
// (A's), with what Patroni's bootstrap would have made and a copy lacks (the replication role, the members'
// shared superuser password); Patroni then takes the cluster afresh from it (no initialize key in the consensus
// store: any left there by an earlier add-on of that name is deleted first) and B clones it (patroni/apply.ts).

export interface IntoRequest {
  config: Config;
  source: AddonConfig;
  into: AddonConfig;
  /** NEW's host (a cluster's preferred member's), and the keystores of NEW's and SOURCE's hosts. */
  host: Host;
  /** Every host NEW runs on ([host] for a single instance; a cluster's members, the preferred first). */
  members: Host[];
  /** The consensus store's hosts, for a highly available NEW (where stale keys of NEW are deleted). */
  consensus: Host[];
  keystore: HostKeystore;
  sourceKeystore: HostKeystore;
  target: RestoreTarget;
  progress(message: string): void;
}

/** Pure: what becomes of NEW, said before anything is done (a line of the restore's own plan): a cluster's
 *  members and what each does. */
export function describeInto(source: string, into: string, members: string[]): string {
  if (members.length < 2) return `  ${into} is created on ${members[0]} from it (no initdb), then made as the file says; ${source} is only read.`;
  const [preferred, ...others] = members as [string, ...string[]];
  return [
    `  ${into} is created as a highly available cluster: its member on ${preferred} from it (no initdb; the primary),`,
    `  then ${others.join(', ')} clone${others.length > 1 ? '' : 's'} it (the synchronous replica), with a gateway on each of ${members.join(', ')}`,
    `  (keys of an earlier ${into} left in the consensus store, if any, are deleted first);`,
    `  then ${into} is made as the file says; ${source} is only read.`,
  ].join('\n');
}

/** Refuses what this restore cannot do, before anything is written. */
export async function checkInto(req: Omit<IntoRequest, 'target' | 'progress'>): Promise<void> {
  const { source, into, config } = req;
  if (source.version !== into.version) {
    throw new UserError(`--into ${into.name}: PostgreSQL ${into.version}, but ${source.name} runs ${source.version}: a point in time restores into the same major version only`);
  }
  if (storageOf(config, source).type !== 's3' && source.host !== into.host) {
    throw new UserError(`--into ${into.name}: ${source.name}'s PITR repository is a directory on ${source.host}, which ${into.host} cannot read: restore into an add-on on ${source.host}, or use S3 storage`);
  }
  // A cluster: on any of its members (a member alone would be one the restore's copy does not lead).
  for (const member of req.members) {
    const dir = `${config.hosts.find((h) => h.name === member.name)!.dataDir}/${into.name}`;
    const exists = await member.exec(`docker inspect ${shq(containerName(into.name))} >/dev/null 2>&1 || test -e ${shq(`${dir}/pgdata`)}`);
    if (exists.code === 0) {
      throw new UserError(`--into ${into.name}: ${into.name} already exists on ${member.name}; a point in time restores into a new add-on only (declared in the file, not applied yet). Restore ${into.name} itself in place, or choose a new name`);
    }
  }
}

/** Deletes what the consensus store holds of NEW (an earlier add-on of that name removed while the store was
 *  down, say): Patroni would otherwise follow a configuration, or refuse a system identifier, that is not the
 *  copy's. NEW has no member (checkInto), so nothing alive is in it. One store member that answers is enough. */
async function clearStaleClusterState(req: IntoRequest): Promise<void> {
  for (const h of req.consensus) {
    const deleted = await deleteClusterStateAt(h, req.into.name);
    if (deleted === null) continue; // no etcd there yet: apply makes the store, empty
    if (deleted > 0) req.progress(`deleted ${deleted} key${deleted > 1 ? 's' : ''} of an earlier ${req.into.name} in the consensus store`);
    return;
  }
}

/** SOURCE's pgBackRest settings (credentials filled in, passphrase from SOURCE's keystore) as files in `etc`. */
async function sourceSettings(req: IntoRequest, etc: string): Promise<{ files: Record<string, string>; repoDir: string | null }> {
  const hostCfg = req.config.hosts.find((h) => h.name === req.into.host)!;
  const rendered = renderPitrFiles(req.config, req.source, hostCfg);
  const renderedEtc = `${pitrStateDir(hostCfg, req.source.name)}/etc`;
  const passphrase = await req.sourceKeystore.get(passphraseKey(req.source.name));
  if (passphrase === undefined) throw new UserError(`the keystore of ${req.source.host} has no PITR passphrase of ${req.source.name}: its repository cannot be read`);
  const files: Record<string, string> = { [`${etc}/conf.d/cipher.conf`]: cipherFileContent(passphrase) };
  for (const [path, f] of Object.entries(rendered.files)) {
    if (path.startsWith(`${renderedEtc}/`)) files[`${etc}/${path.slice(renderedEtc.length + 1)}`] = fillEnvOrThrow(f.content, `storage of ${req.source.name}`);
  }
  return { files, repoDir: rendered.repoDir };
}

/** What a highly available NEW's copy needs besides: Patroni's replication role, with the members' password. */
export interface ClusterAdoption {
  replicationRole: string;
  replicationPassword: string;
}

/** SQL run in the promoted copy (on psql's stdin): SOURCE's cluster becomes NEW's. Passwords only as SCRAM
 *  verifiers. `cluster`: NEW is highly available (Patroni does not run its bootstrap on an existing data
 *  directory, so what that bootstrap makes is made here). */
export function adoptionSql(source: string, into: string, superuserPassword: string, cluster?: ClusterAdoption): string {
  // SOURCE's users are not NEW's: what they own goes to NEW's owner and they go (apply makes NEW's users).
  // REASSIGN and DROP OWNED act on the database connected to, hence once in NEW's database, once in postgres.
  const others = `SELECT rolname FROM pg_roles WHERE rolname NOT IN (${literal(into)}, 'postgres') AND rolname !~ '^pg_'`;
  const disown = (drop: boolean) => `DO $$ DECLARE r record; BEGIN
  FOR r IN ${others} LOOP
    EXECUTE format('REASSIGN OWNED BY %I TO %I', r.rolname, ${literal(into)});
    EXECUTE format('DROP OWNED BY %I', r.rolname);${drop ? "\n    EXECUTE format('DROP ROLE %I', r.rolname);" : ''}
  END LOOP; END $$;`;
  const forCluster = cluster
    ? [
        // Patroni owns NEW's settings (patroni.yml): none of SOURCE's ALTER SYSTEM, nor pgBackRest's recovery
        // target, which a replica cloned from the copy would otherwise stop at.
        'ALTER SYSTEM RESET ALL;',
        // After the loop above, which drops every role but the owner and the superuser (SOURCE's replicator too).
        `CREATE ROLE ${ident(cluster.replicationRole)} WITH LOGIN REPLICATION PASSWORD ${literal(scramVerifier(cluster.replicationPassword))};`,
      ]
    : [];
  return [
    `ALTER DATABASE ${ident(source)} RENAME TO ${ident(into)};`,
    `ALTER ROLE ${ident(source)} RENAME TO ${ident(into)};`,
    // A SCRAM verifier, as apply sets passwords: the password itself never reaches the server or its log.
    `ALTER ROLE postgres PASSWORD ${literal(scramVerifier(superuserPassword))};`,
    `\\connect ${ident(into)}`,
    disown(false),
    '\\connect postgres',
    disown(true),
    ...forCluster,
  ].join('\n') + '\n';
}

/** A cluster's superuser password is derived (the same on every member, patroni/apply.ts), kept in the
 *  preferred host's keystore as apply keeps it (where its SQL sessions look for it). */
async function clusterSuperuserPassword(keystore: HostKeystore, addon: string): Promise<string> {
  const password = keystore.derivedPassword(superuserKey(addon));
  if ((await keystore.get(superuserKey(addon))) !== password) await keystore.set(superuserKey(addon), password);
  return password;
}

export async function restoreInto(req: IntoRequest): Promise<{ seconds: number }> {
  const { host, into, source } = req;
  const hostCfg = req.config.hosts.find((h) => h.name === into.host)!;
  const dataDir = `${hostCfg.dataDir}/${into.name}`;
  const scratch = `${pitrStateDir(hostCfg, into.name)}/from-${source.name}`;
  const t0 = Date.now();
  const cleanUp = () => host.exec(`docker rm -f ${shq(checkName(into.name))} >/dev/null 2>&1; rm -rf ${shq(scratch)}`);
  try {
    const { files, repoDir } = await sourceSettings(req, `${scratch}/etc`);
    await run(host, `preparing ${dataDir}`, `mkdir -p ${shq(`${scratch}/etc/conf.d`)} ${shq(dataDir)} && chmod 700 ${shq(scratch)}`);
    for (const [path, content] of Object.entries(files)) {
      await run(host, `writing ${path}`, `umask 077 && cat > ${shq(path)}`, { stdin: content });
    }
    const mounts = [`${scratch}/etc:${CONTAINER_PGBACKREST_ETC}`, ...(repoDir ? [`${repoDir}:${CONTAINER_REPO_DIR}:ro`] : [])];
    // The image's postgres user owns NEW's directory and reads SOURCE's settings, as in the add-on's container.
    await run(host, `handing ${dataDir} to PostgreSQL`, shellJoin(['docker', 'run', '--rm', '--user', 'root', '--network', 'none',
      '-v', `${dataDir}:${CONTAINER_DATA_DIR}`, '-v', mounts[0]!, addonImage(req.config, into), 'sh', '-c',
      `chown postgres:postgres ${CONTAINER_DATA_DIR} && chown -R postgres:postgres ${CONTAINER_PGBACKREST_ETC}`]));
    const w: Where = { host, addon: into.name, stanza: source.name, port: into.port, image: addonImage(req.config, into), dataDir, mounts: mounts.map((m) => (m.endsWith(':ro') ? m : `${m}:ro`)) };
    req.progress(`restoring ${source.name} into ${into.name} on ${into.host}`);
    const intoCluster = into.hosts.length > 1;
    if (intoCluster) await clearStaleClusterState(req);
    const password = intoCluster ? await clusterSuperuserPassword(req.keystore, into.name) : await req.keystore.getOrCreatePassword(superuserKey(into.name));
    // The owner role comes from SOURCE (renamed): NEW's own password for it, set by apply's convergence, is
    // made now, so that convergence replaces SOURCE's password rather than finding a role it holds none for.
    await req.keystore.getOrCreatePassword(userPasswordKey(into.name, into.name));
    const adoption = intoCluster ? { replicationRole: REPLICATION_USER, replicationPassword: req.keystore.derivedPassword(replicationPasswordKey(into.name)) } : undefined;
    const cluster = source.hosts.length > 1;
    await prepare(w, req.target, `${PGDATA}.restore`, adoptionSql(source.name, into.name, password, adoption), cluster ? patroniCopySettings(`${PGDATA}.restore`) : {});
    if (cluster && intoCluster) {
      // SOURCE's Patroni cache (patroni.dynamic.json) goes: NEW's Patroni takes its settings from its patroni.yml.
      await run(host, `making the copy of ${source.name} an ordinary data directory`, unPatroniCommand(`${dataDir}/pgdata.restore`));
    } else if (cluster) {
      // Patroni's postgresql.conf and pg_hba.conf (the members' rules) are not NEW's: its own pg_hba.conf, as
      // apply renders it, so that the convergence after finds no access change to make.
      const replicationFrom = (into.readReplicas ?? []).flatMap((n) => req.config.hosts.filter((h): h is SshHost => h.name === n && h.transport === 'ssh').map((h) => h.address));
      const hba = renderHba({ force: into.tls.force, allowedIps: into.allowedIps, replicationFrom });
      await run(host, `making the copy of ${source.name} an ordinary data directory`, `${unPatroniCommand(`${dataDir}/pgdata.restore`)} && cat > ${shq(`${dataDir}/pgdata.restore/pg_hba.conf`)}`, { stdin: hba });
    }
    // SOURCE's server certificate names SOURCE's host: without one, apply makes NEW's from the fleet CA (a
    // cluster's members have theirs outside pgdata, and Patroni writes pg_hba.conf and postgresql.conf itself).
    const restored = `${dataDir}/pgdata.restore`;
    await run(host, `moving the restored data of ${into.name} in place`, `rm -f ${shq(`${restored}/server.crt`)} ${shq(`${restored}/server.key`)} && mv ${shq(restored)} ${shq(`${dataDir}/pgdata`)}`);
  } catch (e) {
    await host.exec(`rm -rf ${shq(`${dataDir}/pgdata.restore`)}`);
    throw new UserError(`restore of ${source.name} into ${into.name} failed; nothing of ${into.name} was made: ${(e as Error).message}`);
  } finally {
    await cleanUp();
  }
  return { seconds: (Date.now() - t0) / 1000 };
}
