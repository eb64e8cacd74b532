import type { ApplyContext, Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { run } from '../../hosts/host.js';
import type { EtcdMember } from '../ha/model.js';
import { shellJoin, shq } from '../../util/shell.js';
import { HA_DIR } from '../ha/dir.js';
import { ETCD_CLIENT_PORT } from '../ha/render.js';
import { prepareDir, startContainer, stepSpec, waitForHttp } from '../ha/run-container.js';
import { ensureCaFile, ensureCert } from '../ha/certs.js';
import { ETCD_MEMBER_CERT, etcdCurlTls } from '../ha/tls.js';
import { stringList } from '../ha/step-fields.js';
import { removalTarget } from '../ha/undeclared.js';
import { withBootstrap } from './bootstrap.js';
import { initialCluster, memberOf, parseMembers, voters } from './members.js';

// Apply side of a move of the consensus store (etcd/move.ts): a member joins (etcd's member add as a learner,
// started with the store's members and "existing", promoted once caught up and once Patroni has learned of it)
// and one leaves (member remove, once the joining one votes), through etcd's v3 JSON API over TLS with a
// member certificate of the fleet CA. Each step reads the membership from etcd first and does only what is
// left, so an apply stopped midway is finished by the next plan and apply.

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number;
  body: string;
}

/** POSTs `body` to `path` of the first of `urls` that answers 200 (else the last answer, status 0 when none
 *  answered), with curl from `image` and the member certificate in `dir` (mounted read-only). */
async function storeCall(ctx: ApplyContext, dir: string, image: string, urls: readonly string[], path: string, body: object): Promise<Answer> {
  const curl = shellJoin(['curl', '-s', '-m', '5', ...etcdCurlTls(ETCD_MEMBER_CERT), '-X', 'POST', '-w', '\\n%{http_code}']);
  const loop = `body=$1; shift; last=''; for u in "$@"; do out=$(${curl} -d "$body" "$u${path}") || continue; last=$out; [ "\${out##*
}" = 200 ] && { printf '%s' "$out"; exit 0; }; done; printf '%s' "$last"; exit 1`;
  const r = await ctx.host.exec(shellJoin(['docker', 'run', '--rm', '--network', 'host', '-v', `${dir}:${HA_DIR}:ro`, image, 'sh', '-c', loop, 'sh', JSON.stringify(body), ...urls]));
  const out = r.stdout.trimEnd();
  const nl = out.lastIndexOf('\n');
  return out ? { status: Number(out.slice(nl + 1)) || 0, body: out.slice(0, Math.max(nl, 0)) } : { status: 0, body: '' };
}

/** The store's members, asked of the first of `urls` that answers. */
async function listMembers(ctx: ApplyContext, dir: string, image: string, urls: readonly string[]): Promise<EtcdMember[]> {
  const a = await storeCall(ctx, dir, image, urls, '/v3/cluster/member/list', {});
  const members = a.status === 200 ? parseMembers(a.body) : null;
  if (!members) throw new Error(`host ${ctx.host.name}: no member of the consensus store answers (${urls.join(', ')})${a.body ? `: ${a.body.slice(0, 200)}` : ''}`);
  return members;
}

/** Asks until `done` holds of the store's members, every `every` s for `seconds` (each ask is a container
 *  run on the host: a long wait asks less often). */
async function waitMembers(ctx: ApplyContext, list: () => Promise<EtcdMember[]>, done: (m: EtcdMember[]) => boolean, seconds: number, what: string, every = 1): Promise<EtcdMember[]> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const members = await list().catch(() => null);
    if (members && done(members)) return members;
    if (Date.now() > until) throw new Error(`host ${ctx.host.name}: ${what} within ${seconds} s`);
    await sleep(every * 1000);
  }
}

/** A member joins the store, as a learner first: until its promotion the store's quorum is unchanged. */
export const joinStore: Executor = async (step, ctx) => {
  const spec = stepSpec(step);
  const member = field<string>(step, 'member', 'string');
  const peerUrl = field<string>(step, 'peerUrl', 'string');
  const waitSeconds = field<number>(step, 'waitSeconds', 'number');
  const store = stringList(step, 'store');
  const self = `https://127.0.0.1:${ETCD_CLIENT_PORT}`;
  await prepareDir(ctx, spec);
  await ensureCaFile(ctx, spec.dir);
  await ensureCert(ctx, spec.dir, { file: ETCD_MEMBER_CERT, subject: `etcd ${ctx.host.name}`, names: stringList(step, 'tlsNames'), usages: ['server', 'client'] });
  const list = () => listMembers(ctx, spec.dir, spec.image, [...store, self]);
  let members = await list();
  let me = memberOf(members, member, peerUrl);
  const running = async () => (await ctx.host.exec(`docker inspect -f '{{.State.Running}}' ${shq(spec.name)} 2>/dev/null`)).stdout.trim() === 'true';
  if (!me) {
    // Not a member: an etcd or data here is not the store's (a store made alone on this host before, a member
    // removed since): it goes, and the member is added.
    await run(ctx.host, `removing ${spec.name} (not a member of the store)`, `docker rm -f ${shq(spec.name)} >/dev/null 2>&1; rm -rf ${shq(`${spec.dir}/etcd`)}`);
    ctx.progress(`adding ${member} to the consensus store as a learner`);
    const added = await storeCall(ctx, spec.dir, spec.image, store, '/v3/cluster/member/add', { peerURLs: [peerUrl], isLearner: true });
    members = added.status === 200 ? (parseMembers(added.body) ?? []) : [];
    me = memberOf(members, member, peerUrl);
    if (!me) throw new Error(`host ${ctx.host.name}: the consensus store did not add ${member}: ${added.body.slice(0, 300) || 'no member answers'}`);
  }
  if (!(await running())) {
    // Never started: a data directory left by a start that failed is not of the store yet.
    if (!me.name) await run(ctx.host, 'clearing a half-made etcd data directory', `rm -rf ${shq(`${spec.dir}/etcd`)}`);
    await startContainer(ctx, withBootstrap(spec, { cluster: initialCluster(members, member, peerUrl), state: 'existing' }), false);
  }
  ctx.progress(`waiting for ${member} to start in the consensus store`);
  members = await waitMembers(ctx, list, (m) => memberOf(m, member)?.name === member, 120, `${member} did not start in the consensus store`);
  me = memberOf(members, member)!;
  if (me.learner) {
    ctx.progress(`waiting ${waitSeconds} s for every Patroni member to learn of ${member} from etcd before it votes`);
    await sleep(waitSeconds * 1000);
    ctx.progress(`promoting ${member} to a voting member of the consensus store`);
    const id = me.id;
    // Refused until the learner has caught up with the leader's log.
    let last: Answer = { status: 0, body: '' };
    for (let i = 0; i < 120; i++) {
      last = await storeCall(ctx, spec.dir, spec.image, store, '/v3/cluster/member/promote', { ID: id });
      if (last.status === 200) break;
      const now = await list().catch(() => null);
      if (now && memberOf(now, member) && !memberOf(now, member)!.learner) break; // promoted by an answer lost on the way
      await sleep(1000);
    }
    await waitMembers(ctx, list, (m) => memberOf(m, member)?.learner === false, 5, `${member} was not promoted (${last.body.slice(0, 200)})`);
  }
  await waitForHttp(ctx, spec, `${self}/health`, 'the consensus store (etcd) is not healthy', etcdCurlTls(ETCD_MEMBER_CERT));
};

/** When `me` leads the store, it hands the leadership to `to` first (etcd's MoveLeader, asked of the leader):
 *  removed while leading, it would leave the others to elect a leader, a second or more without a store, which
 *  measured on the test fleet made the primary demote itself (Patroni: "DCS is not accessible"). */
async function handLeadership(ctx: ApplyContext, dir: string, image: string, me: EtcdMember, to: EtcdMember): Promise<void> {
  const own = me.clientUrls.slice(0, 1);
  if (!own.length) return;
  const leader = async () => {
    const a = await storeCall(ctx, dir, image, own, '/v3/maintenance/status', {});
    return a.status === 200 ? String((JSON.parse(a.body) as { leader?: string | number }).leader ?? '') : '';
  };
  if ((await leader()) !== me.id) return;
  ctx.progress(`handing the consensus store's leadership from ${me.name} to ${to.name}`);
  for (let i = 0; i < 10; i++) {
    await storeCall(ctx, dir, image, own, '/v3/maintenance/transfer-leadership', { targetID: to.id });
    if ((await leader()) !== me.id) return;
    await sleep(1000);
  }
  throw new Error(`host ${ctx.host.name}: ${me.name} did not hand the consensus store's leadership to ${to.name}`);
}

/** A member leaves the store once its successor votes; then its container and directory go (on its host). */
export const leaveStore: Executor = async (step, ctx) => {
  const member = field<string>(step, 'member', 'string');
  const successor = field<string>(step, 'successor', 'string');
  const certDir = field<string>(step, 'certDir', 'string');
  const image = field<string>(step, 'image', 'string');
  const store = stringList(step, 'store');
  const peerUrl = typeof step.peerUrl === 'string' ? step.peerUrl : undefined;
  if (!/^\/[^\0]+\/\.consensus$/.test(certDir)) throw new Error('plan step etcd.leave: certDir is not a consensus store directory');
  const list = () => listMembers(ctx, certDir, image, store);
  if (successor) {
    ctx.progress(`waiting for ${successor} to vote in the consensus store before ${member} leaves`);
    // The join waits for Patroni first (about a minute), and may wait for its host's image and certificate.
    await waitMembers(ctx, list, (m) => memberOf(m, successor)?.learner === false && memberOf(m, successor)?.name === successor, 600, `${successor} did not become a voting member of the consensus store`, 5);
  }
  const members = await list();
  const me = memberOf(members, member, peerUrl);
  if (me) {
    const left = voters(members).filter((m) => m.id !== me.id);
    if (!left.length) throw new Error(`host ${ctx.host.name}: ${member} is the consensus store's only voting member: it cannot leave`);
    await handLeadership(ctx, certDir, image, me, left.find((m) => m.name === successor) ?? left[0]!);
    ctx.progress(`removing ${member} from the consensus store`);
    const r = await storeCall(ctx, certDir, image, store, '/v3/cluster/member/remove', { ID: me.id });
    if (r.status !== 200) throw new Error(`host ${ctx.host.name}: the consensus store did not remove ${member}: ${r.body.slice(0, 300) || 'no member answers'}`);
  }
  if (step.name !== undefined) {
    const { name, dir } = removalTarget(step);
    ctx.progress(`removing ${name}`);
    await run(ctx.host, `removing ${name}`, `docker rm -f ${shq(name)} >/dev/null 2>&1; rm -rf ${shq(dir)}`);
  }
};
