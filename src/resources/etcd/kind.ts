import type { Executor } from '../../apply/context.js';
import type { ResourceKind } from '../kind.js';
import { etcdPlacements } from '../ha/desired.js';
import { diffHaContainer } from '../ha/diff.js';
import { gatherHaUnit } from '../ha/gather-unit.js';
import { removalChange, removeHaContainer, undeclaredHa } from '../ha/undeclared.js';
import type { DesiredEtcd, ObservedHaUnit } from '../ha/model.js';
import { ETCD_CLIENT_PORT } from '../ha/render.js';
import { prepareDir, startContainer, stepSpec, waitForHttp } from '../ha/run-container.js';

// One member of the fleet's consensus store (etcd), where Patroni elects each highly available add-on's
// primary. A fleet resource: one placement per host of `consensus.hosts`, keyed "etcd@HOST".

const ensure: Executor = async (step, ctx) => {
  const spec = stepSpec(step);
  await prepareDir(ctx, spec);
  await startContainer(ctx, spec, false);
  // /health answers 200 once the members have elected a leader (the others start on their hosts meanwhile).
  await waitForHttp(ctx, spec, `http://127.0.0.1:${ETCD_CLIENT_PORT}/health`, 'the consensus store (etcd) is not healthy');
};

export const etcdKind: ResourceKind<DesiredEtcd, ObservedHaUnit> = {
  kind: 'etcd',
  scope: 'fleet',
  reads: 'host',
  desired: etcdPlacements,
  gather: (read, placed) => gatherHaUnit(read, placed.desired.spec),
  undeclared: (read, declared) => undeclaredHa(read, declared, 'etcd'),
  diff: (placed, observed) =>
    !placed.desired
      ? removalChange(placed, observed, `consensus.etcd.${placed.host}`, 'etcd')
      : diffHaContainer(placed, placed.desired.spec, observed, {
          address: `consensus.etcd.${placed.host}`,
          kind: 'etcd',
          stepType: 'etcd.ensure',
          restartHazard: { code: 'RESTART', message: `the etcd member on ${placed.host} restarts: with a single member, no failover can happen meanwhile` },
        }),
  warnings: (placed) =>
    placed.desired.members.length === 1
      ? [`the consensus store has one member (${placed.host}): fine for a test fleet, but while ${placed.host} is down no failover can happen; declare 3 hosts under consensus.hosts`]
      : [],
  executors: { 'etcd.ensure': ensure, 'ha.remove': removeHaContainer },
  hazards: ['RESTART'],
};
