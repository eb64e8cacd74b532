import type { ApplyContext, Executor } from '../../apply/context.js';
import type { Step } from '../../plan/types.js';
import type { ResourceKind } from '../kind.js';
import type { Hazard } from '../../plan/types.js';
import { etcdPlacements } from '../ha/desired.js';
import { diffHaContainer } from '../ha/diff.js';
import { gatherCerts, gatherHaUnit } from '../ha/gather-unit.js';
import { certRenewalReasons, etcdCertWants } from '../ha/cert-check.js';
import { removalChange, removeHaContainer, undeclaredHa } from '../ha/undeclared.js';
import type { DesiredEtcd, HaContainerSpec, ObservedEtcd, ObservedHaContainer } from '../ha/model.js';
import type { Change } from '../../plan/types.js';
import type { Placed } from '../kind.js';
import type { HostReader } from '../reader.js';
import { hostAddress } from '../desired.js';
import { asStarted } from './bootstrap.js';
import { moveChanges, planMove } from './move.js';
import { joinStore, leaveStore } from './move-apply.js';
import { ETCD_CLIENT_PORT, PATRONI_TIMING } from '../ha/render.js';
import { prepareDir, startContainer, stepSpec, waitForHttp } from '../ha/run-container.js';
import { ensureCaFile, ensureCert } from '../ha/certs.js';
import { ETCD_MEMBER_CERT, etcdCurlTls } from '../ha/tls.js';
import { stringList } from '../ha/step-fields.js';

// One member of the fleet's consensus store (etcd), where Patroni elects each highly available add-on's
// primary. A fleet resource: one placement per host of `consensus.hosts`, keyed "etcd@HOST". Its clients and
// peers talk TLS and must show a certificate of the fleet CA (ha/render.ts, etcdCommand).

/** The fleet CA and the member's certificate, issued when missing, another CA's, lacking a name, or with under
 *  30 days left. */
async function memberCert(step: Step, ctx: ApplyContext, spec: HaContainerSpec): Promise<void> {
  await ensureCaFile(ctx, spec.dir);
  await ensureCert(ctx, spec.dir, { file: ETCD_MEMBER_CERT, subject: `etcd ${ctx.host.name}`, names: stringList(step, 'tlsNames'), usages: ['server', 'client'] });
}

const ensure: Executor = async (step, ctx) => {
  const spec = stepSpec(step);
  await prepareDir(ctx, spec);
  await memberCert(step, ctx, spec);
  await startContainer(ctx, spec, false);
  // /health answers 200 once the members have elected a leader (the others start on their hosts meanwhile).
  await waitForHttp(ctx, spec, `https://127.0.0.1:${ETCD_CLIENT_PORT}/health`, 'the consensus store (etcd) is not healthy', etcdCurlTls(ETCD_MEMBER_CERT));
};

/** etcd reads its certificate files again for every new connection (its TLS listener loads them per
 *  handshake): writing them is enough, no restart. The next plan reads them back. */
const renewCerts: Executor = async (step, ctx) => memberCert(step, ctx, stepSpec(step));

function restartHazard(host: string, members: number, observed: ObservedEtcd): Hazard {
  const message = `the etcd member on ${host} restarts: with a single member, no failover can happen meanwhile`;
  if (observed.hasCert) return { code: 'RESTART', message };
  if (members > 1) {
    // etcd keeps the peer addresses its members recorded (http://): restarted on https together, they would
    // no longer reach each other. Moving them one at a time (etcd's member update) is not done yet.
    return { code: 'RESTART', message: `${message}; it moves to TLS, but a store of ${members} members made before keeps its members' recorded http:// peer addresses: they may not reach each other (not handled by this version: move them one at a time with etcd's member update)` };
  }
  // Made by a dbform that did not encrypt the consensus store: the Patroni members still reach it over plain
  // http until they are made again by this same apply (their changes say FAILOVER).
  return {
    code: 'RESTART',
    message: `${message}; it moves to TLS: until each Patroni member is made again with TLS (in this apply), it cannot reach the store, so a primary keeps its role at most ${PATRONI_TIMING.ttl} s (the leader key's ttl) and writes pause for about 10 s in all (8 s measured on the test fleet), no acknowledged commit lost`,
  };
}

/** etcd's view of the store from the member on this host, and where clients reach it; nothing without one. */
async function membership(read: HostReader, container: ObservedHaContainer | null): Promise<Pick<ObservedEtcd, 'members' | 'clientUrl'>> {
  if (!container) return {};
  const clientUrl = `https://${hostAddress(read.host)}:${ETCD_CLIENT_PORT}`;
  if (!read.etcdMembers) return { clientUrl };
  return { clientUrl, members: container.running ? await read.etcdMembers(container.name) : null };
}

/** One member alone: made, started, restarted or its certificate renewed (ha/diff.ts); a container no longer
 *  declared is deleted. Compared with the bootstrap flags it started with (etcd/bootstrap.ts). */
function diffMember(placed: Placed<DesiredEtcd | null>, observed: ObservedEtcd): Change[] {
  if (!placed.desired) return removalChange(placed, observed, `consensus.etcd.${placed.host}`, 'etcd');
  const d = placed.desired;
  return diffHaContainer(placed, asStarted(d.spec, observed.container?.command), observed, {
    address: `consensus.etcd.${placed.host}`,
    kind: 'etcd',
    stepType: 'etcd.ensure',
    step: { tlsNames: d.tlsNames },
    restartHazard: restartHazard(placed.host, d.members.length, observed),
    renew: {
      reasons: certRenewalReasons(etcdCertWants(d), observed.certs ?? {}, d.certCheck.caPublicKeyPem, new Date(d.certCheck.now)),
      stepType: 'etcd.renew-certs',
    },
  });
}

export const etcdKind: ResourceKind<DesiredEtcd, ObservedEtcd> = {
  kind: 'etcd',
  scope: 'fleet',
  reads: 'host',
  desired: etcdPlacements,
  async gather(read, placed) {
    const dir = placed.desired.spec.dir;
    const [unit, cert, certs] = await Promise.all([gatherHaUnit(read, placed.desired.spec), read.fileHash(`${dir}/tls/member.crt`), gatherCerts(read, dir, etcdCertWants(placed.desired))]);
    return { ...unit, hasCert: cert !== null, certs, ...(await membership(read, unit.container)) };
  },
  undeclared: async (read, declared) =>
    Promise.all((await undeclaredHa(read, declared, 'etcd')).map(async (u) => ({ ...u, observed: { ...u.observed, hasCert: true, certs: {}, ...(await membership(read, u.observed.container)) } }))),
  diff: diffMember,
  diffFleet(entries, declared) {
    const wanted = declared[0]?.desired.members ?? [];
    // A store not made yet is made whole (every member started with "new"); one that no highly available
    // add-on needs any more goes whole.
    const move = wanted.length && entries.some((e) => e.observed.container) ? planMove(wanted, declared, entries) : null;
    // Members that stay wait while the store moves: never two changes of membership, or a restart, at once.
    return move ? moveChanges(move, declared, entries) : entries.flatMap((e) => diffMember(e.placed, e.observed));
  },
  warnings: (placed) =>
    placed.desired.members.length === 1
      ? [`the consensus store has one member (${placed.host}): fine for a test fleet, but while ${placed.host} is down no failover can happen; declare 3 hosts under consensus.hosts`]
      : [],
  executors: { 'etcd.ensure': ensure, 'etcd.renew-certs': renewCerts, 'ha.remove': removeHaContainer, 'etcd.join': joinStore, 'etcd.leave': leaveStore },
  hazards: ['RESTART', 'FAILOVER'],
};
