import type { Change, Hazard } from '../../plan/types.js';
import type { Placed } from '../kind.js';
import type { DesiredEtcd, EtcdMember, ObservedEtcd } from '../ha/model.js';
import { PATRONI_TIMING } from '../ha/render.js';

// Pure: the consensus store's members, declared (consensus.hosts) against the membership etcd reports -> the
// changes that move it one member at a time without losing its data (Patroni's leader keys, each cluster's
// configuration, its permanent slots and initialize key). A store that does not exist yet is made whole; a
// store whose members are the declared hosts has each member diffed alone (etcd/kind.ts). Otherwise a
// member joins (etcd's member add, as a learner that does not vote, then promoted) and one leaves (member
// remove), the leaving one only once the joining one votes: never two changes of membership at once, and the
// store never goes below its quorum. More than one member to replace: one per apply, the plan says so.

/** Patroni learns a new member of the store only from etcd itself (its member list, asked every ttl*10 s:
 *  patroni/dcs/etcd.py, _refresh_machines_cache); it reads patroni.yml's list only when it starts. A joining
 *  member is promoted, and so the leaving one removed, only once every running Patroni asked since it joined. */
export const PATRONI_LEARNS_MEMBERS_S = PATRONI_TIMING.ttl * 10 + 5;

export interface EtcdEntry {
  placed: Placed<DesiredEtcd | null>;
  observed: ObservedEtcd;
}

/** The store's membership as a running member reports it (declared members asked first); null when none
 *  answered. */
export function reportedMembers(entries: readonly EtcdEntry[]): EtcdMember[] | null {
  const ordered = [...entries.filter((e) => e.placed.desired), ...entries.filter((e) => !e.placed.desired)];
  return ordered.find((e) => e.observed.container?.running && e.observed.members?.length)?.observed.members ?? null;
}

export interface MovePlan {
  /** The declared host that joins now, and the member that leaves now (host names). */
  joining: string | null;
  leaving: string | null;
  /** Voting members now. */
  votersNow: string[];
  /** Those left for later applies (one member at a time). */
  laterJoin: string[];
  laterLeave: string[];
}

/** What moving the store to `wanted` takes now; null when its members are the declared ones already. */
export function planMove(wanted: readonly string[], desired: readonly Placed<DesiredEtcd>[], entries: readonly EtcdEntry[]): MovePlan | null {
  const members = reportedMembers(entries);
  // Without an answer, the members are taken to be the hosts that have an etcd (apply asks etcd again).
  const withEtcd = entries.filter((e) => e.observed.container).map((e) => e.placed.host);
  const hostOf = (m: EtcdMember) => m.name || desired.find((p) => m.peerUrls.includes(p.desired.peerUrl))?.host || '';
  // A member not started yet that is no learner was in the store's first --initial-cluster (a store made
  // whole, its start stopped midway): it is started as made, not joined; a joining member is a learner.
  const votersNow = members ? members.filter((m) => !m.learner).map(hostOf).filter(Boolean) : withEtcd;
  const all = members ? members.map(hostOf) : withEtcd;
  const toAdd = wanted.filter((h) => !votersNow.includes(h));
  // A member that is no host's (added by hand, or a join aborted and the file changed since) is left alone.
  const toRemove = [...new Set(all.filter((h) => h && !wanted.includes(h)))].sort();
  if (!toAdd.length && !toRemove.length) return null;
  return { joining: toAdd[0] ?? null, leaving: toRemove[0] ?? null, votersNow: [...votersNow].sort(), laterJoin: toAdd.slice(1), laterLeave: toRemove.slice(1) };
}

const address = (host: string) => `consensus.etcd.${host}`;
const list = (hosts: readonly string[]) => hosts.join(', ');

function later(move: MovePlan): string {
  const parts = [...(move.laterJoin.length ? [`${list(move.laterJoin)} joins`] : []), ...(move.laterLeave.length ? [`${list(move.laterLeave)} leaves`] : [])];
  return parts.length ? `; one member at a time: ${parts.join(', ')} in the next apply` : '';
}

/** What a user risks while the store changes: a store of 2 voting members needs both. */
function quorumHazard(move: MovePlan): Hazard | null {
  const n = move.votersNow.length;
  if (move.joining && n + 1 === 2) {
    return {
      code: 'FAILOVER',
      message: move.leaving
        ? `the consensus store grows from 1 to 2 members, then shrinks back to 1 (${move.joining}): ${move.joining} joins as a learner (not voting), and for the seconds between its promotion and ${move.leaving}'s removal both are needed (quorum 2 of 2): a host failing then stops the store, so the primaries stop taking writes and no failover can happen until it is back. No PostgreSQL restarts; the store keeps its data`
        : `the consensus store grows from 1 to 2 members: until a third joins, both are needed (quorum 2 of 2): either host failing stops the store, so the primaries stop taking writes and no failover can happen until it is back`,
    };
  }
  const after = n + (move.joining ? 1 : 0) - (move.leaving ? 1 : 0);
  if (move.leaving && after === 2) {
    return { code: 'FAILOVER', message: `the consensus store shrinks to 2 members until the next apply: both are needed (quorum 2 of 2): either host failing stops the store, so the primaries stop taking writes and no failover can happen until it is back` };
  }
  return null;
}

/** Client addresses of the store's members that a joining or leaving member can ask (not `except`'s). */
function storeUrls(entries: readonly EtcdEntry[], members: EtcdMember[] | null, except: string[]): string[] {
  const fromMembers = (members ?? []).filter((m) => !except.includes(m.name)).flatMap((m) => m.clientUrls);
  const fromHosts = entries.filter((e) => e.observed.container && !except.includes(e.placed.host)).map((e) => e.observed.clientUrl ?? '').filter(Boolean);
  return [...new Set([...fromMembers, ...fromHosts])].sort();
}

/** The changes of a move (see planMove), each on a host gather read. */
export function moveChanges(move: MovePlan, desired: readonly Placed<DesiredEtcd>[], entries: readonly EtcdEntry[]): Change[] {
  const members = reportedMembers(entries);
  const changes: Change[] = [];
  const hazard = quorumHazard(move);
  const joinEntry = move.joining ? entries.find((e) => e.placed.host === move.joining && e.placed.desired) : undefined;
  const joinPlaced = move.joining ? desired.find((p) => p.host === move.joining) : undefined;
  if (move.joining && (!joinEntry || !joinPlaced)) return []; // its host was not read: the plan says so; nothing moves meanwhile
  if (joinEntry && joinPlaced) {
    const d = joinPlaced.desired;
    const have = joinEntry.observed.container;
    changes.push({
      address: address(joinPlaced.host), kind: 'etcd', host: joinPlaced.host, addon: '', action: have ? 'update' : 'create',
      reason: `${joinPlaced.host} joins the consensus store (members: ${list(move.votersNow)}), which keeps its data: added as a learner, started, then promoted to a voting member once every Patroni member has learned of it from etcd (${PATRONI_LEARNS_MEMBERS_S} s)${later(move)}`,
      before: have ? { container: have.name, member: 'no' } : null,
      after: { container: d.spec.name, member: 'voting', members: [...new Set([...move.votersNow.filter((h) => h !== move.leaving), joinPlaced.host])].sort() },
      hazards: hazard ? [hazard] : [],
      steps: [{ type: 'etcd.join', spec: d.spec as never, tlsNames: d.tlsNames, member: joinPlaced.host, peerUrl: d.peerUrl, store: storeUrls(entries, members, [joinPlaced.host]), waitSeconds: PATRONI_LEARNS_MEMBERS_S }],
    });
  }
  if (move.leaving) {
    const leaving = move.leaving;
    const local = entries.find((e) => e.placed.host === leaving && e.observed.container);
    // Its host was not read (down): removed from the membership from another host; its container stays there
    // until a plan reads that host again (it is then no member: deleted).
    const runner = local ?? joinEntry ?? entries.find((e) => e.placed.desired && e.observed.container?.running);
    if (!runner) return changes;
    const c = runner.observed.container;
    const certDir = c?.dir || runner.placed.desired?.spec.dir || '';
    const image = runner.placed.desired?.spec.image ?? joinPlaced?.desired.spec.image ?? desired[0]?.desired.spec.image ?? '';
    const member = members?.find((m) => m.name === leaving);
    changes.push({
      address: address(leaving), kind: 'etcd', host: runner.placed.host, addon: '', action: 'delete',
      reason: `${leaving} leaves the consensus store${move.joining ? ` once ${move.joining} votes` : ''} (etcd's member remove)${local ? ', then its container and data directory are deleted (the store\'s data stays on its other members)' : `; ${leaving} was not read: its container stays there until a plan reads it again`}${move.joining ? '' : later(move)}`,
      before: { member: leaving, ...(local ? { container: c!.name, directory: c!.dir } : {}) },
      after: null,
      hazards: !move.joining && hazard ? [hazard] : [],
      steps: [{
        type: 'etcd.leave', member: leaving, ...(member ? { peerUrl: member.peerUrls[0] ?? '' } : {}), successor: move.joining ?? '',
        // The joining member first (it votes by then), the leaving one last (it answers until it is removed).
        store: [...new Set([...(joinPlaced ? [joinPlaced.desired.clientUrl] : []), ...storeUrls(entries, members, [leaving]), ...storeUrls(entries, members, [])])], certDir, image, ...(local ? { name: c!.name, dir: c!.dir } : {}),
      }],
    });
  }
  return changes;
}
