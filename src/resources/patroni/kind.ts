import type { ResourceKind } from '../kind.js';
import type { Change, Hazard } from '../../plan/types.js';
import { patroniPlacements } from '../ha/desired.js';
import { diffHaContainer } from '../ha/diff.js';
import { gatherCerts, gatherHaUnit } from '../ha/gather-unit.js';
import { certRenewalReasons, patroniCertWants } from '../ha/cert-check.js';
import { removalChange, undeclaredHa } from '../ha/undeclared.js';
import type { DesiredPatroni, ObservedHaContainer, ObservedPatroni } from '../ha/model.js';
import type { HostReader } from '../reader.js';
import { repointChange, sameAsStarted } from './consensus.js';
import { STARTED_COPY } from './apply.js';
import { patroniExecutors } from './apply.js';

// One member of a highly available add-on: PostgreSQL run by Patroni in dbform's image, on each of the
// add-on's hosts, keyed "addon@host". Patroni elects the primary through the consensus store, keeps the
// other member a synchronous replica, and owns postgresql.conf and pg_hba.conf (rendered in patroni.yml).

const HEALTHY = new Set(['running', 'streaming']);

const address = (placed: { addon: string; host: string }) => `addon.${placed.addon}.patroni.${placed.host}`;

/** The step's fields besides the spec; `plainHttpApi` when the member's API still answers plain http (made
 *  before dbform encrypted it): apply may then ask it, and its peers, in plain http until it is made again. */
function ensureFields(d: DesiredPatroni, host: string, observed?: ObservedPatroni) {
  const moving = observed?.member?.plainHttpApi === true;
  return {
    apiPort: d.apiPort, superuserKey: d.superuserKey, preferred: d.preferred, preferredApi: d.preferredApi, peerApis: d.peerApis, member: host, tlsNames: d.tlsNames,
    ...(moving ? { plainHttpApi: true } : {}),
  };
}

/** What making a member again costs: a switchover; more when it moves to TLS with the consensus store. */
function failoverHazard(placed: { addon: string; host: string }, observed: ObservedPatroni): Hazard {
  const message = `PostgreSQL of ${placed.addon} on ${placed.host} restarts; when it is the primary, it first hands over to the synchronous replica (a switchover: a few seconds without writes, then clients reconnect through the gateway)`;
  if (!observed.member?.plainHttpApi) return { code: 'FAILOVER', message };
  return {
    // Not RESTART either: no acknowledged commit is lost; but the switch cannot be a clean switchover.
    code: 'FAILOVER',
    message: `PostgreSQL of ${placed.addon} on ${placed.host} restarts to move its REST API, its link to the consensus store and replication to TLS; while the store and the members switch, the primary may lose its leader key instead of handing over: writes pause for about 10 s (8 s measured on the test fleet), then clients reconnect through the gateway`,
  };
}

/** A member whose settings in the consensus store wait for a restart (a plan change of max_connections that
 *  a member restarted before could not take yet, see patroni/apply.ts): made again, with a switchover. */
function pendingRestart(placed: { addon: string; host: string; desired: DesiredPatroni }, observed: ObservedPatroni, hazard: Hazard): Change {
  return {
    address: address(placed), kind: 'patroni', host: placed.host, addon: placed.addon, action: 'update',
    reason: `PostgreSQL of ${placed.addon} on ${placed.host} runs with settings older than the consensus store's (Patroni: pending restart)`,
    before: { pending_restart: true }, after: { pending_restart: false }, hazards: [hazard],
    steps: [{ type: 'patroni.ensure', spec: placed.desired.spec as never, ...ensureFields(placed.desired, placed.host, observed) }],
  };
}

/** The consensus store's addresses the member started with (its label; for a member started before the
 *  label, the copy of its patroni.yml kept when the file was rewritten, or the file itself) and in its file. */
async function consensusOf(read: HostReader, dir: string, c: ObservedHaContainer): Promise<Pick<ObservedPatroni, 'consensusAtStart' | 'consensusInFile'>> {
  if (!read.consensusHosts) return {};
  const inFile = await read.consensusHosts(`${dir}/patroni.yml`);
  const atStart = c.consensusAtStart ?? (await read.consensusHosts(`${dir}/${STARTED_COPY}`)) ?? inFile;
  return { ...(atStart ? { consensusAtStart: atStart } : {}), ...(inFile ? { consensusInFile: inFile } : {}) };
}

export const patroniKind: ResourceKind<DesiredPatroni, ObservedPatroni> = {
  kind: 'patroni',
  scope: 'addon',
  reads: 'host',
  desired: patroniPlacements,
  async gather(read, placed) {
    const [unit, certs] = await Promise.all([gatherHaUnit(read, placed.desired.spec), gatherCerts(read, placed.desired.spec.dir, patroniCertWants(placed.desired, placed.host))]);
    const c = unit.container;
    const member = c?.running && read.patroniMember ? await read.patroniMember(c.name, placed.desired.apiPort, placed.host) : null;
    return { ...unit, member, certs, ...(c ? await consensusOf(read, placed.desired.spec.dir, c) : {}) };
  },
  undeclared: async (read, declared) => (await undeclaredHa(read, declared, 'patroni')).map((u) => ({ ...u, observed: { ...u.observed, member: null, certs: {} } })),
  diff: (placed, observed) => {
    const desired = placed.desired;
    if (!desired) {
      return removalChange(placed, observed, address(placed), 'patroni', {
        code: 'DATA_LOSS',
        message: `the data of ${placed.addon} on ${placed.host} is deleted (its daily backups, if any, are kept)`,
      }, 'patroni.remove');
    }
    // The consensus store moved (etcd/move.ts): the file is rewritten, the running member left alone.
    const repoint = repointChange({ ...placed, desired }, observed, address(placed));
    if (repoint) return [repoint];
    // Not RESTART: the add-on stays up; its clients see the pause of a switchover and reconnect.
    const failover = failoverHazard(placed, observed);
    const changes = diffHaContainer(placed, desired.spec, observed, {
      address: address(placed),
      kind: 'patroni',
      stepType: 'patroni.ensure',
      step: ensureFields(desired, placed.host, observed),
      // Patroni re-reads patroni.yml on SIGHUP: pg_hba.conf and reloadable settings change without a restart.
      reload: {
        stepType: 'patroni.reload',
        hazard: { code: 'ACCESS_CHANGE', message: `who may connect to ${placed.addon}, or its settings, change on ${placed.host} (reloaded, no restart)` },
      },
      restartHazard: failover,
      sameAs: sameAsStarted(desired.spec, observed),
      renew: {
        reasons: certRenewalReasons(patroniCertWants(desired, placed.host), observed.certs ?? {}, desired.certCheck.caPublicKeyPem, new Date(desired.certCheck.now)),
        stepType: 'patroni.renew-certs',
      },
    });
    return changes.length || !observed.member?.pendingRestart ? changes : [pendingRestart({ ...placed, desired }, observed, failover)];
  },
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
  hazards: ['FAILOVER', 'ACCESS_CHANGE', 'DATA_LOSS'],
};
