import type { ApplyContext, Executor } from '../../apply/context.js';
import type { Step } from '../../plan/types.js';
import type { HaContainerSpec } from '../ha/model.js';
import { field } from '../../apply/context.js';
import { run } from '../../hosts/host.js';
import { shellJoin, shq } from '../../util/shell.js';
import { dcsParameters } from '../ha/render.js';
import { HA_CONSENSUS_LABEL, pollHttp, prepareDir, startContainer, stepSpec, waitForHttp, writeSpecFiles } from '../ha/run-container.js';
import { removalTarget, removeHaContainer } from '../ha/undeclared.js';
import { ensureCaFile, ensureCert } from '../ha/certs.js';
import { isApiAddress, stringList } from '../ha/step-fields.js';
import { HA_DIR } from '../ha/dir.js';
import { deleteClusterState } from '../ha/dcs-keys.js';
import { RESTART_BACKUP_SERVER } from '../pitr/standby-backup.js';
import { ETCD_CLIENT_CERT, MEMBER_CERT, PATRONI_CURL_CHANGE_TLS, PATRONI_CURL_TLS } from '../ha/tls.js';

// Creates or re-creates one Patroni member. The superuser and replication passwords are derived from the
// master key (the same on every member) and reach Patroni through its environment file (mode 600), never a
// plan or a command line; the superuser's is also kept in the host's keystore, where gather and apply's
// SQL sessions look for it. Its certificates (server, and client to etcd) are made here (ha/certs.ts).
// Every call to a REST API is HTTPS verified against the fleet CA, except to a member the plan saw still
// answering plain http (`plainHttpApi`: started before dbform encrypted the API), which this step moves to TLS.

/** The step's API addresses; with plain http too while the cluster moves to TLS (what was asked of them is
 *  no secret: a member's role, a switchover's target). */
function apiUrls(step: Step, name: string): string[] {
  const value = step[name];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every(isApiAddress)) throw new Error(`plan step patroni.ensure: ${name} is not a list of API addresses`);
  return withPlainHttp(step, list as string[]);
}

function withPlainHttp(step: Step, urls: string[]): string[] {
  return step.plainHttpApi === true ? urls.flatMap((u) => [u, u.replace(/^https:/, 'http:')]) : urls;
}

/** curl in the member's container (with its client certificate: a change asked of an API needs one), against
 *  the first of `urls` that answers: the status line last. */
async function curlMember(ctx: ApplyContext, spec: HaContainerSpec, urls: string[], args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let last = { code: 1, stdout: '', stderr: 'no API address' };
  for (const url of urls) {
    last = await ctx.host.exec(shellJoin(['docker', 'exec', spec.name, 'curl', ...PATRONI_CURL_CHANGE_TLS, ...args, url]));
    // 7: connection refused; 35: TLS handshake failed (a plain http API); 52, 56: an HTTPS API asked in plain http.
    if (![7, 35, 52, 56].includes(last.code)) return last;
  }
  return last;
}

/** The passwords (derived: the same on every member) in the container's environment file, the fleet CA, the
 *  member's server certificate (PostgreSQL, the REST API) and its client certificate for etcd. */
async function prepareMember(step: Step, ctx: ApplyContext, spec: HaContainerSpec): Promise<void> {
  const superuserKey = field<string>(step, 'superuserKey', 'string');
  if (superuserKey !== `addon/${spec.addon}/postgres`) throw new Error('plan step patroni.ensure: superuserKey is not the add-on\'s');
  const superuser = ctx.keystore.derivedPassword(superuserKey);
  if ((await ctx.keystore.get(superuserKey)) !== superuser) await ctx.keystore.set(superuserKey, superuser);
  const replication = ctx.keystore.derivedPassword(`addon/${spec.addon}/replication`);
  await prepareDir(ctx, spec, `PATRONI_SUPERUSER_PASSWORD=${superuser}\nPATRONI_REPLICATION_PASSWORD=${replication}\n`);
  await memberCerts(step, ctx, spec);
}

/** The fleet CA, the member's server certificate (PostgreSQL, the REST API) and its client certificate for
 *  etcd, each issued when missing, another CA's, lacking a name, or with under 30 days left. */
async function memberCerts(step: Step, ctx: ApplyContext, spec: HaContainerSpec): Promise<void> {
  await ensureCaFile(ctx, spec.dir);
  await ensureCert(ctx, spec.dir, { file: MEMBER_CERT, subject: spec.addon, names: stringList(step, 'tlsNames'), usages: ['server'] });
  const member = field<string>(step, 'member', 'string');
  await ensureCert(ctx, spec.dir, { file: ETCD_CLIENT_CERT, subject: `${spec.addon} ${member}`, names: [member], usages: ['client'] });
}

const SETTLE_MS = 3000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A primary about to be made again hands its role to a synchronous replica first (a switchover: a couple of
 *  seconds without writes, not a failover's ttl). The replica may be being made again on its own host at
 *  the same moment: wait until it is in sync again. Without one in a minute, it restarts in place. */
async function handOver(step: Step, ctx: ApplyContext, spec: HaContainerSpec, self: string[]): Promise<void> {
  const isPrimary = async () => (await curlMember(ctx, spec, self.map((u) => `${u}/primary`), ['-sf', '-m', '2', '-o', '/dev/null'])).code === 0;
  if (!(await isPrimary())) return;
  const member = field<string>(step, 'member', 'string');
  const body = JSON.stringify({ leader: member });
  const inSync = apiUrls(step, 'peerApis').map((u) => `${u}/sync`);
  for (let attempt = 1; ; attempt++) {
    ctx.progress(`waiting for a synchronous replica of ${spec.addon} to hand the primary over to`);
    // Asked twice, SETTLE_MS apart: a replica made again by this same apply on its own host still answers
    // "in sync" until its container is replaced, a second or two after the apply starts; handing over to it
    // then would see the new primary killed (a failover's gap instead of a switchover's).
    let found = await pollHttp(ctx, spec, inSync, 60, PATRONI_CURL_TLS);
    if (found) {
      await sleep(SETTLE_MS);
      found = await pollHttp(ctx, spec, inSync, 60, PATRONI_CURL_TLS);
    }
    if (!found) {
      ctx.progress(`no synchronous replica of ${spec.addon}: restarting its primary in place`);
      return;
    }
    ctx.progress(`switching the primary of ${spec.addon} over from ${member}`);
    const r = await curlMember(ctx, spec, self.map((u) => `${u}/switchover`), ['-s', '-m', '60', '-X', 'POST', '-d', body, '-w', '\n%{http_code}']);
    const lines = r.stdout.trim().split('\n');
    const code = lines.pop() ?? '';
    const answer = lines.join(' ').trim() || r.stderr.trim() || `HTTP ${code}`;
    if (r.code === 0 && code.startsWith('2')) return;
    // The replica was still answering "in sync" just before its own restart (made again on its host at the
    // same moment): Patroni refuses a switchover to a member that is going away. Wait for it to be back.
    if (!(await isPrimary())) return;
    if (attempt === 5) throw new Error(`host ${ctx.host.name}: the switchover of ${spec.addon} was refused 5 times: ${answer}`);
    ctx.progress(`the switchover of ${spec.addon} was refused (${answer}): trying again once its replica is in sync`);
    await sleep(2000);
  }
}

/** Writes the settings only the consensus store sets (max_connections...) there before this member restarts,
 *  so that it starts with them (patroni.yml's local copy is ignored). Through any member's API: this one may
 *  be stopped. A member that does not restart now reports "pending restart", which the next plan shows. */
async function storeDcsSettings(step: Step, ctx: ApplyContext, spec: HaContainerSpec, self: string[]): Promise<void> {
  const body = JSON.stringify({ postgresql: { parameters: dcsParameters(spec.files['patroni.yml'] ?? '') } });
  const urls = [...self, ...apiUrls(step, 'peerApis')].map((u) => `${u}/config`);
  const curl = shellJoin(['curl', '-sf', '-m', '5', ...PATRONI_CURL_CHANGE_TLS, '-X', 'PATCH']);
  const loop = `body=$1; shift; for u in "$@"; do ${curl} -d "$body" "$u" >/dev/null && exit 0; done; exit 1`;
  const r = await ctx.host.exec(shellJoin(['docker', 'run', '--rm', '--network', 'host', '-v', `${spec.dir}:${HA_DIR}:ro`, spec.image, 'sh', '-c', loop, 'sh', body, ...urls]));
  if (r.code !== 0) throw new Error(`host ${ctx.host.name}: cannot store the settings of ${spec.addon} in its consensus store: no member's API answers (${urls.join(', ')})`);
}

const ensure: Executor = async (step, ctx) => {
  const spec = stepSpec(step);
  const self = `https://127.0.0.1:${field<number>(step, 'apiPort', 'number')}`;
  await prepareMember(step, ctx, spec);
  const moving = step.plainHttpApi === true;
  const initialized = (await ctx.host.exec(`test -s ${shq(`${spec.dir}/pgdata/PG_VERSION`)}`)).code === 0;
  // A data directory without a member container yet: put there by `restore --to --into` (restore-into.ts) for a
  // new cluster. No member runs to store settings into or hand over from: Patroni takes the cluster from it.
  const adopted = initialized && (await ctx.host.exec(`docker inspect ${shq(spec.name)} >/dev/null 2>&1`)).code !== 0;
  if (!initialized && step.preferred !== true) {
    // The preferred member bootstraps the cluster; this one clones it once it is the primary.
    ctx.progress(`waiting for the preferred primary of ${spec.addon}`);
    await waitForHttp(ctx, spec, apiUrls(step, 'preferredApi').map((u) => `${u}/primary`), `the preferred primary of ${spec.addon} did not start`, PATRONI_CURL_TLS);
  }
  if (initialized && !adopted) {
    // A member moving to TLS may have lost the consensus store already (moved by this apply on its host): the
    // settings are stored once it is back, and wait for its next restart (the next plan says so).
    if (!moving) await storeDcsSettings(step, ctx, spec, [self]);
    await handOver(step, ctx, spec, withPlainHttp(step, [self]));
  }
  await ctx.forget(spec.addon);
  await startContainer(ctx, spec, true);
  ctx.progress(`waiting for PostgreSQL of ${spec.addon} under Patroni`);
  await waitForHttp(ctx, spec, `${self}/health`, `PostgreSQL of ${spec.addon} is not running under Patroni`, PATRONI_CURL_TLS);
  if (initialized && moving) await storeDcsSettings(step, ctx, spec, [self]);
  // Done once it is the primary, or a replica whose acknowledgement the primary's commits wait for: from then
  // on, no acknowledged commit is lost.
  ctx.progress(`waiting for ${ctx.host.name} to be the primary or the synchronous replica of ${spec.addon}`);
  await waitForHttp(ctx, spec, [`${self}/primary`, `${self}/sync`], `${spec.addon} on ${ctx.host.name} is neither the primary nor a synchronous replica`, PATRONI_CURL_TLS);
  if ((!initialized || adopted) && step.preferred === true) {
    // A new cluster (or one taken from restored data) is done once its replica (made on its own host meanwhile)
    // is in sync: the users and the database that follow are then written to both members, and their commits
    // never hang on a replica that is still catching up. This member itself counts: an adopted data directory
    // whose peer already leads (its container removed by hand) joins as the synchronous replica.
    ctx.progress(`waiting for the synchronous replica of ${spec.addon}`);
    const sync = [...apiUrls(step, 'peerApis').map((u) => `${u}/sync`), `${self}/sync`];
    await waitForHttp(ctx, spec, sync, `no replica of ${spec.addon} became synchronous`, PATRONI_CURL_TLS);
  }
};

/** Rewrites patroni.yml and has Patroni reload it (SIGHUP): it rewrites pg_hba.conf and postgresql.conf and
 *  reloads PostgreSQL. The next plan reads the file's hash, so a reload that did not happen shows again. */
const reload: Executor = async (step, ctx) => {
  const spec = stepSpec(step);
  await writeSpecFiles(ctx, spec);
  ctx.progress(`reloading ${spec.name}`);
  await run(ctx.host, `reloading ${spec.name}`, `docker kill -s HUP ${shq(spec.name)} >/dev/null`);
  await run(ctx.host, `restarting pgBackRest's TLS server in ${spec.name}`, shellJoin(['docker', 'exec', spec.name, 'sh', '-c', RESTART_BACKUP_SERVER]));
};

/** A member started before its label named the consensus store's addresses keeps a copy of the patroni.yml
 *  it started from, read by gather instead (patroni/kind.ts). */
export const STARTED_COPY = 'patroni.started.yml';

/** Rewrites patroni.yml with the consensus store's new addresses, for Patroni's next start: the running Patroni
 *  follows the store's membership itself (patroni/consensus.ts), so no restart and no reload. */
const repoint: Executor = async (step, ctx) => {
  const spec = stepSpec(step);
  const label = (await ctx.host.exec(`docker inspect -f ${shq(`{{index .Config.Labels "${HA_CONSENSUS_LABEL}"}}`)} ${shq(spec.name)} 2>/dev/null`)).stdout.trim();
  if (!label) {
    const [file, copy] = [`${spec.dir}/patroni.yml`, `${spec.dir}/${STARTED_COPY}`];
    await run(ctx.host, `keeping ${file} as started`, `[ -e ${shq(copy)} ] || cp -p ${shq(file)} ${shq(copy)}`);
  }
  ctx.progress(`rewriting ${spec.name}'s patroni.yml with the consensus store's members`);
  await writeSpecFiles(ctx, spec);
};

/** Issues the member's certificates again, without a restart: on SIGHUP Patroni loads its REST API's
 *  certificate again when the one on disk changed, and has PostgreSQL reload its configuration, with its server
 *  certificate (Patroni 3.0's reload_config). Its next connection to etcd shows the new client certificate. */
const renewCerts: Executor = async (step, ctx) => {
  const spec = stepSpec(step);
  await memberCerts(step, ctx, spec);
  ctx.progress(`reloading ${spec.name} with its new certificates`);
  await run(ctx.host, `reloading ${spec.name}`, `docker kill -s HUP ${shq(spec.name)} >/dev/null`);
  await run(ctx.host, `restarting pgBackRest's TLS server in ${spec.name}`, shellJoin(['docker', 'exec', spec.name, 'sh', '-c', RESTART_BACKUP_SERVER]));
};

/** Removes a member, and its cluster's state in the consensus store (Patroni keeps it there, and an add-on made
 *  again with the same name would wait for a leader that no longer exists instead of starting afresh). */
const remove: Executor = async (step, ctx) => {
  const { name, dir } = removalTarget(step);
  const addon = field<string>(step, 'addon', 'string');
  if (!/^[a-z][a-z0-9-]{1,40}$/.test(addon)) throw new Error('plan step patroni.remove: addon is not an add-on name');
  // The image the member runs (its curl); none when the container is gone already: nothing is asked then.
  const image = (await ctx.host.exec(`docker inspect -f '{{.Config.Image}}' ${shq(name)} 2>/dev/null`)).stdout.trim();
  if (image) await deleteClusterState(ctx.host, dir, addon, image);
  await removeHaContainer(step, ctx);
};

export const patroniExecutors: Record<string, Executor> = { 'patroni.ensure': ensure, 'patroni.reload': reload, 'patroni.repoint': repoint, 'patroni.renew-certs': renewCerts, 'patroni.remove': remove };
