import type { ResourceKind } from '../kind.js';
import { patroniPlacements } from '../ha/desired.js';
import { diffHaContainer } from '../ha/diff.js';
import { gatherHaUnit } from '../ha/gather-unit.js';
import { removalChange, undeclaredHa } from '../ha/undeclared.js';
import type { DesiredPatroni, ObservedPatroni } from '../ha/model.js';
import { patroniExecutors } from './apply.js';

// One member of a highly available add-on: PostgreSQL run by Patroni in dbform's image, on each of the
// add-on's hosts, keyed "addon@host". Patroni elects the primary through the consensus store, keeps the
// other member a synchronous replica, and owns postgresql.conf and pg_hba.conf (rendered in patroni.yml).

const HEALTHY = new Set(['running', 'streaming']);

export const patroniKind: ResourceKind<DesiredPatroni, ObservedPatroni> = {
  kind: 'patroni',
  scope: 'addon',
  reads: 'host',
  desired: patroniPlacements,
  async gather(read, placed) {
    const unit = await gatherHaUnit(read, placed.desired.spec);
    const c = unit.container;
    const member = c?.running && read.patroniMember ? await read.patroniMember(c.name, placed.desired.apiPort, placed.host) : null;
    return { ...unit, member };
  },
  undeclared: async (read, declared) => (await undeclaredHa(read, declared, 'patroni')).map((u) => ({ ...u, observed: { ...u.observed, member: null } })),
  diff: (placed, observed) =>
    !placed.desired
      ? removalChange(placed, observed, `addon.${placed.addon}.patroni.${placed.host}`, 'patroni', {
          code: 'DATA_LOSS',
          message: `the data of ${placed.addon} on ${placed.host} is deleted (no backup of a highly available add-on is taken yet)`,
        }, 'patroni.remove')
      : diffHaContainer(placed, placed.desired.spec, observed, {
          address: `addon.${placed.addon}.patroni.${placed.host}`,
          kind: 'patroni',
          stepType: 'patroni.ensure',
          step: {
            apiPort: placed.desired.apiPort,
            superuserKey: placed.desired.superuserKey,
            preferred: placed.desired.preferred,
            preferredApi: placed.desired.preferredApi,
            peerApis: placed.desired.peerApis,
            member: placed.host,
            tlsNames: placed.desired.tlsNames,
          },
          // Patroni re-reads patroni.yml on SIGHUP: pg_hba.conf and reloadable settings change without a restart.
          reload: {
            stepType: 'patroni.reload',
            hazard: { code: 'ACCESS_CHANGE', message: `who may connect to ${placed.addon}, or its settings, change on ${placed.host} (reloaded, no restart)` },
          },
          restartHazard: {
            code: 'RESTART',
            message: `PostgreSQL of ${placed.addon} on ${placed.host} restarts; when it is the primary, it first hands over to the synchronous replica (a switchover: a few seconds without writes)`,
          },
        }),
  warnings(placed, observed) {
    if (!observed.container?.running) return [];
    if (!observed.member) return [`add-on ${placed.addon}: Patroni on ${placed.host} does not answer (starting, or failed: see docker logs ${placed.desired.spec.name})`];
    if (!HEALTHY.has(observed.member.state)) return [`add-on ${placed.addon}: member ${placed.host} is ${observed.member.state} (${observed.member.role})`];
    return [];
  },
  notes(placed, observed) {
    const m = observed.member;
    if (!m) return [];
    const role = m.role === 'leader' ? 'primary' : m.role === 'sync_standby' ? 'synchronous replica' : m.role;
    const lag = m.lagMb === null ? '' : `, lag ${m.lagMb} MB`;
    return [`add-on ${placed.addon}: ${placed.host} is the ${role} (${m.state}${lag})`];
  },
  executors: patroniExecutors,
  hazards: ['RESTART', 'ACCESS_CHANGE', 'DATA_LOSS'],
};
