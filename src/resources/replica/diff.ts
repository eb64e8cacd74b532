import type { Change, Hazard, Step } from '../../plan/types.js';
import type { Placed } from '../kind.js';
import type { DesiredReplica, ObservedReplica, ReplicaSpec } from './model.js';

// Pure: a read replica, desired and observed -> its changes: create, make again (settings), start, delete,
// and promote to an add-on of its own (refused while it is behind, unless DATA_LOSS is allowed).

const address = (source: string, host: string) => `addon.${source}.read-replica.${host}`;

function ensureStep(r: ReplicaSpec): Step {
  return { type: 'replica.ensure', ...r, settings: r.settings as never, primary: r.primary as never, cluster: r.cluster as never };
}

/** Where it streams from, in the plan: its primary, or a cluster's gateways (whichever member is the primary). */
function upstream(r: ReplicaSpec): string {
  if (r.cluster) return `the primary through the gateways ${r.cluster.gateways.map((g) => `${g}:${r.cluster!.port}`).join(', ')}`;
  return `${r.primary!.address}:${r.primary!.port}`;
}

function attrs(r: ReplicaSpec) {
  return { container: r.name, image: r.image, memory_mb: r.memoryMb, port: r.port, primary: upstream(r), slot: r.slot };
}

/** How far behind the replica is, in words, and whether promoting it now loses writes of the primary. */
export function behindWords(o: ObservedReplica): { words: string; behind: boolean } {
  const s = o.standby;
  if (!o.running || !s) return { words: `not running (${o.status})`, behind: true };
  if (!s.inRecovery) return { words: 'already promoted', behind: false };
  const state = s.paused ? 'replay paused' : (s.receiver ?? 'not connected to its primary');
  if (s.behindMb === null) return { words: `${state}, lag unknown`, behind: true };
  return { words: `${state}, lag ${s.behindMb} MB${s.caughtUp ? '' : ' (not zero)'}`, behind: !s.caughtUp || s.receiver !== 'streaming' };
}

function promoteChange(placed: Placed<DesiredReplica>, observed: ObservedReplica): Change {
  const { replica: r, promoteTo } = placed.desired;
  const to = promoteTo!;
  const { words, behind } = behindWords(observed);
  const hazards: Hazard[] = behind
    ? [{ code: 'DATA_LOSS', message: `the read replica of ${r.source} on ${placed.host} is behind its primary (${words}): promoted now, ${to.addon} lacks the writes it has not replayed (${r.source} keeps them). Wait until its lag is 0, or allow DATA_LOSS` }]
    : [];
  const step: Step = {
    type: 'replica.promote', source: r.source, addon: to.addon, name: observed.name, port: r.port, image: r.image,
    dataDir: observed.dataDir, targetDataDir: to.dataDir, superuserKey: to.superuserKey, roles: to.roles as never, allowBehind: behind,
    ...(r.cluster && { clusterUser: r.cluster.user }),
  };
  return {
    address: address(r.source, placed.host), kind: 'replica', host: placed.host, addon: to.addon, action: 'update',
    reason: `promote the read replica of ${r.source} on ${placed.host} to add-on ${to.addon} (${words})`,
    before: { ...attrs(r), role: 'read replica' }, after: { role: `add-on ${to.addon}`, data_directory: to.dataDir, passwords: 'its own (new)' }, hazards, steps: [step],
  };
}

export function diffReplica(placed: Placed<DesiredReplica | null>, observed: ObservedReplica | null): Change[] {
  const d = placed.desired;
  if (!d) return observed ? [removal(placed.host, observed)] : [];
  const r = d.replica;
  if (d.promoteTo) return observed ? [promoteChange({ ...placed, desired: d }, observed)] : [];
  const base = { address: address(r.source, placed.host), kind: 'replica', host: placed.host, addon: r.source };
  if (!observed) {
    return [{ ...base, action: 'create', reason: `add-on ${r.source} has no read replica on ${placed.host}`, before: null, after: attrs(r), hazards: [], steps: [ensureStep(r)] }];
  }
  if (observed.spec !== r.spec) {
    const hazard: Hazard = { code: 'RESTART', message: `the read replica of ${r.source} on ${placed.host} restarts with its primary's new settings; its clients are disconnected until it is back (data is kept)` };
    return [{ ...base, action: 'update', reason: 'its primary\'s settings, address or its own changed', before: { spec: observed.spec }, after: { ...attrs(r), spec: r.spec }, hazards: [hazard], steps: [ensureStep(r)] }];
  }
  if (!observed.running) {
    return [{ ...base, action: 'update', reason: `container is ${observed.status}, not running`, before: { status: observed.status }, after: { status: 'running' }, hazards: [], steps: [ensureStep(r)] }];
  }
  return [];
}

/** A replica no longer declared: its container and data go. No hazard: the primary keeps every row (its slot
 *  is dropped by the primary's side, the replication or cluster-slots kind); only the replica's readers are
 *  disconnected. */
function removal(host: string, o: ObservedReplica): Change {
  return {
    address: address(o.source, host), kind: 'replica', host, addon: o.source, action: 'delete',
    reason: `add-on ${o.source} no longer lists ${host} in readReplicas`,
    before: { container: o.name, data_directory: o.dataDir }, after: null, hazards: [],
    steps: [{ type: 'replica.remove', source: o.source, name: o.name, dataDir: o.dataDir }],
  };
}

/** What the plan tells about a replica that is fine: its state and lag. */
export function replicaNotes(placed: Placed<DesiredReplica>, observed: ObservedReplica | null): string[] {
  if (!observed || placed.desired.promoteTo) return [];
  return [`add-on ${placed.desired.replica.source}: read replica on ${placed.host} (${behindWords(observed).words})`];
}

export function replicaWarnings(placed: Placed<DesiredReplica>, observed: ObservedReplica | null): string[] {
  const d = placed.desired;
  const out: string[] = [];
  if (!d.promoteTo && d.sourceEncrypted) out.push(`add-on ${d.replica.source}: its read replica on ${placed.host} is not encrypted at rest (not there yet)`);
  if (observed?.running && observed.standby?.inRecovery && observed.standby.receiver !== 'streaming' && !d.promoteTo) {
    out.push(`add-on ${d.replica.source}: the read replica on ${placed.host} does not stream from its primary (${behindWords(observed).words}); see docker logs ${observed.name}`);
  }
  return out;
}
