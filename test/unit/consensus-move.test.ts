import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { etcdPlacements, patroniPlacements } from '../../src/resources/ha/desired.js';
import type { DesiredEtcd, EtcdMember, HaContainerSpec, ObservedEtcd, ObservedPatroni } from '../../src/resources/ha/model.js';
import { specHash } from '../../src/resources/ha/spec-hash.js';
import { etcdKind } from '../../src/resources/etcd/kind.js';
import { PATRONI_LEARNS_MEMBERS_S } from '../../src/resources/etcd/move.js';
import { withBootstrap } from '../../src/resources/etcd/bootstrap.js';
import { initialCluster, parseMembers } from '../../src/resources/etcd/members.js';
import { patroniKind } from '../../src/resources/patroni/kind.js';
import { specWithConsensus, withConsensus } from '../../src/resources/patroni/consensus.js';
import type { Placed } from '../../src/resources/kind.js';
import type { Change } from '../../src/plan/types.js';
import { DESIRED_CTX } from './fixtures.js';

// The consensus store moved by editing consensus.hosts, on plain data: etcd's membership as gather reads it
// and the containers on each host -> the plan's changes (etcd/move.ts), and the Patroni members' patroni.yml
// rewritten without a restart (patroni/consensus.ts).

const HOSTS = ['db-1', 'db-2', 'db-3', 'db-4', 'db-5', 'db-6'];
const addr = (h: string) => `10.77.0.${10 + Number(h.slice(3))}`;
const yaml = (consensus: string[]) => `version: 1
hosts:
${HOSTS.map((h) => `  ${h}:\n    address: ${addr(h)}\n    hostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n    identityFile: ~/.ssh/id_ed25519\n`).join('')}consensus:
  hosts: [${consensus.join(', ')}]
addons:
  orders:
    plan: postgresql-business-1024
    hosts: [db-1, db-2]
    port: 31001
`;
const etcdOf = (consensus: string[]) => etcdPlacements(loadConfig('databases.yaml', yaml(consensus)), DESIRED_CTX);

const member = (h: string, o: Partial<EtcdMember> = {}): EtcdMember => ({
  id: String(1000 + Number(h.slice(3))), name: h, peerUrls: [`https://${addr(h)}:2380`], clientUrls: [`https://${addr(h)}:2379`], learner: false, ...o,
});

/** An etcd container started from `spec` (its command as docker shows it), reporting `members`. */
function running(spec: HaContainerSpec, host: string, members: EtcdMember[] | null, up = true): ObservedEtcd {
  return {
    container: { name: spec.name, role: 'etcd', addon: '', spec: specHash(spec), running: up, status: up ? 'running' : 'exited', dir: spec.dir, imageId: 'sha256:a', tagImageId: 'sha256:a', command: spec.command },
    files: {}, hasCert: true, certs: {}, members, clientUrl: `https://${addr(host)}:2379`,
  };
}
const absent = (): ObservedEtcd => ({ container: null, files: {}, hasCert: false, certs: {} });

type Entry = { placed: Placed<DesiredEtcd | null>; observed: ObservedEtcd };
const declaredEntry = (p: Placed<DesiredEtcd>, observed: ObservedEtcd): Entry => ({ placed: p, observed });
const undeclaredEntry = (host: string, observed: ObservedEtcd): Entry => ({ placed: { key: `etcd@${host}`, host, addon: '', desired: null }, observed });

/** The store made of `hosts` together (each member started with all of them, "new"), as the old file had it. */
const madeWith = (hosts: string[]) => new Map(etcdOf(hosts).map((p) => [p.host, p.desired.spec]));

const brief = (changes: Change[]) => changes.map((c) => `${c.action} ${c.address} on ${c.host}: ${c.steps.map((s) => s.type).join(',')}${c.hazards.length ? ` [${c.hazards.map((h) => h.code).join(',')}]` : ''}`);
const diff = (entries: Entry[], declared: Placed<DesiredEtcd>[]) => etcdKind.diffFleet!(entries, declared);

describe('moving the consensus store, 1 member: [db-3] -> [db-4]', () => {
  const old = madeWith(['db-3']);
  const declared = etcdOf(['db-4']);
  const db4 = declared[0]!;

  it('today\'s store is diffed alone when its members are the declared ones: nothing to do', () => {
    const now = etcdOf(['db-3']);
    expect(diff([declaredEntry(now[0]!, running(old.get('db-3')!, 'db-3', [member('db-3')]))], now)).toEqual([]);
  });

  it('a store not made yet is made whole, every member started "new"', () => {
    const changes = diff([declaredEntry(db4, absent())], declared);
    expect(brief(changes)).toEqual(['create consensus.etcd.db-4 on db-4: etcd.ensure']);
    expect(changes[0]!.steps[0]!.spec).toMatchObject({ command: expect.arrayContaining(['--initial-cluster-state', 'new']) });
  });

  it('db-4 joins (learner, waits for Patroni, promoted) and db-3 leaves once db-4 votes: the store keeps its data', () => {
    const changes = diff([declaredEntry(db4, absent()), undeclaredEntry('db-3', running(old.get('db-3')!, 'db-3', [member('db-3')]))], declared);
    expect(brief(changes)).toEqual(['create consensus.etcd.db-4 on db-4: etcd.join [FAILOVER]', 'delete consensus.etcd.db-3 on db-3: etcd.leave']);
    const [join, leave] = changes as [Change, Change];
    expect(join.reason).toContain('db-4 joins the consensus store (members: db-3), which keeps its data: added as a learner');
    expect(join.hazards[0]!.message).toContain('grows from 1 to 2 members, then shrinks back to 1 (db-4)');
    expect(join.hazards[0]!.message).toContain('quorum 2 of 2');
    expect(join.steps[0]).toMatchObject({ member: 'db-4', peerUrl: 'https://10.77.0.14:2380', store: ['https://10.77.0.13:2379'], waitSeconds: PATRONI_LEARNS_MEMBERS_S });
    expect(PATRONI_LEARNS_MEMBERS_S).toBe(65); // ttl 6 * 10 (Patroni's machines cache) + 5
    expect(leave.reason).toContain('db-3 leaves the consensus store once db-4 votes (etcd\'s member remove), then its container and data directory are deleted');
    expect(leave.steps[0]).toMatchObject({ member: 'db-3', successor: 'db-4', name: 'dbform-etcd', dir: '/var/lib/dbform/.consensus', certDir: '/var/lib/dbform/.consensus' });
    expect((leave.steps[0]!.store as string[])[0]).toBe('https://10.77.0.14:2379');
  });

  it('resumes an apply stopped after member add (db-4 a learner, never started): the join and the leave again', () => {
    const members = [member('db-3'), member('db-4', { name: '', clientUrls: [], learner: true })];
    const changes = diff([declaredEntry(db4, absent()), undeclaredEntry('db-3', running(old.get('db-3')!, 'db-3', members))], declared);
    expect(brief(changes)).toEqual(['create consensus.etcd.db-4 on db-4: etcd.join [FAILOVER]', 'delete consensus.etcd.db-3 on db-3: etcd.leave']);
  });

  it('resumes an apply stopped while db-4, started, waits as a learner: the join is an update of its container', () => {
    const members = [member('db-3'), member('db-4', { learner: true })];
    const joined = withBootstrap(db4.desired.spec, { cluster: initialCluster(members, 'db-4', db4.desired.peerUrl), state: 'existing' });
    const changes = diff([declaredEntry(db4, running(joined, 'db-4', members)), undeclaredEntry('db-3', running(old.get('db-3')!, 'db-3', members))], declared);
    expect(brief(changes)).toEqual(['update consensus.etcd.db-4 on db-4: etcd.join [FAILOVER]', 'delete consensus.etcd.db-3 on db-3: etcd.leave']);
  });

  it('resumes an apply stopped once db-4 votes: db-3 leaves, with no one to wait for', () => {
    const members = [member('db-3'), member('db-4')];
    const joined = withBootstrap(db4.desired.spec, { cluster: 'db-3=https://10.77.0.13:2380,db-4=https://10.77.0.14:2380', state: 'existing' });
    const changes = diff([declaredEntry(db4, running(joined, 'db-4', members)), undeclaredEntry('db-3', running(old.get('db-3')!, 'db-3', members))], declared);
    expect(brief(changes)).toEqual(['delete consensus.etcd.db-3 on db-3: etcd.leave']);
    expect(changes[0]!.steps[0]).toMatchObject({ successor: '' });
  });

  it('after the move: db-4, started with the join\'s bootstrap flags, is what the file asks for; db-3\'s stopped container (removed from the store) goes', () => {
    const joined = withBootstrap(db4.desired.spec, { cluster: 'db-3=https://10.77.0.13:2380,db-4=https://10.77.0.14:2380', state: 'existing' });
    expect(specHash(joined)).not.toBe(specHash(db4.desired.spec));
    const done = [declaredEntry(db4, running(joined, 'db-4', [member('db-4')]))];
    expect(diff(done, declared)).toEqual([]);
    const stray = undeclaredEntry('db-3', running(old.get('db-3')!, 'db-3', null, false));
    expect(brief(diff([...done, stray], declared))).toEqual(['delete consensus.etcd.db-3 on db-3: ha.remove']);
  });

  it('a store that does not answer: the members are taken to be the hosts that run etcd; apply asks etcd again', () => {
    const changes = diff([declaredEntry(db4, absent()), undeclaredEntry('db-3', running(old.get('db-3')!, 'db-3', null))], declared);
    expect(brief(changes)).toEqual(['create consensus.etcd.db-4 on db-4: etcd.join [FAILOVER]', 'delete consensus.etcd.db-3 on db-3: etcd.leave']);
    expect(changes[0]!.steps[0]).toMatchObject({ store: ['https://10.77.0.13:2379'] });
  });

  it('db-4 not read (down): nothing moves, not even db-3', () => {
    expect(diff([undeclaredEntry('db-3', running(old.get('db-3')!, 'db-3', [member('db-3')]))], declared)).toEqual([]);
  });

  it('a store no highly available add-on needs any more goes whole', () => {
    expect(brief(diff([undeclaredEntry('db-3', running(old.get('db-3')!, 'db-3', [member('db-3')]))], []))).toEqual(['delete consensus.etcd.db-3 on db-3: ha.remove']);
  });
});

describe('moving the consensus store, 3 members: [db-1, db-2, db-3] -> [db-1, db-2, db-4]', () => {
  const old = madeWith(['db-1', 'db-2', 'db-3']);
  const declared = etcdOf(['db-1', 'db-2', 'db-4']);
  const at = (h: string) => declared.find((p) => p.host === h)!;
  const three = ['db-1', 'db-2', 'db-3'].map((h) => member(h));

  it('db-4 joins, db-3 leaves; db-1 and db-2 (whose initial cluster differs from the file\'s now) are left alone', () => {
    expect(specHash(at('db-1').desired.spec)).not.toBe(specHash(old.get('db-1')!));
    const entries = [
      declaredEntry(at('db-1'), running(old.get('db-1')!, 'db-1', three)),
      declaredEntry(at('db-2'), running(old.get('db-2')!, 'db-2', three)),
      declaredEntry(at('db-4'), absent()),
      undeclaredEntry('db-3', running(old.get('db-3')!, 'db-3', three)),
    ];
    const changes = diff(entries, declared);
    expect(brief(changes)).toEqual(['create consensus.etcd.db-4 on db-4: etcd.join', 'delete consensus.etcd.db-3 on db-3: etcd.leave']);
    expect(changes[0]!.steps[0]).toMatchObject({ store: ['https://10.77.0.11:2379', 'https://10.77.0.12:2379', 'https://10.77.0.13:2379'] });
    expect(changes[0]!.after).toMatchObject({ members: ['db-1', 'db-2', 'db-4'] });
  });

  it('after the move, every member runs what the file asks for (each with its own bootstrap flags): nothing to do', () => {
    const now = [member('db-1'), member('db-2'), member('db-4')];
    const joined = withBootstrap(at('db-4').desired.spec, { cluster: 'db-1=https://10.77.0.11:2380,db-2=https://10.77.0.12:2380,db-3=https://10.77.0.13:2380,db-4=https://10.77.0.14:2380', state: 'existing' });
    const entries = [
      declaredEntry(at('db-1'), running(old.get('db-1')!, 'db-1', now)),
      declaredEntry(at('db-2'), running(old.get('db-2')!, 'db-2', now)),
      declaredEntry(at('db-4'), running(joined, 'db-4', now)),
    ];
    expect(diff(entries, declared)).toEqual([]);
  });

  it('a member whose host is down leaves from the joining host, without touching its container', () => {
    const entries = [
      declaredEntry(at('db-1'), running(old.get('db-1')!, 'db-1', three)),
      declaredEntry(at('db-2'), running(old.get('db-2')!, 'db-2', three)),
      declaredEntry(at('db-4'), absent()),
    ];
    const changes = diff(entries, declared);
    expect(brief(changes)).toEqual(['create consensus.etcd.db-4 on db-4: etcd.join', 'delete consensus.etcd.db-3 on db-4: etcd.leave']);
    expect(changes[1]!.steps[0]).not.toHaveProperty('name');
    expect(changes[1]!.steps[0]).toMatchObject({ member: 'db-3', certDir: '/var/lib/dbform/.consensus', successor: 'db-4' });
    expect(changes[1]!.reason).toContain('db-3 was not read');
  });

  it('a store made whole whose start stopped midway (db-2, db-3 never started, no learners): started as made, not joined', () => {
    const made = [member('db-1'), member('db-2', { name: '', clientUrls: [] }), member('db-3', { name: '', clientUrls: [] })];
    const now = etcdOf(['db-1', 'db-2', 'db-3']);
    const entries = [declaredEntry(now[0]!, running(old.get('db-1')!, 'db-1', made)), declaredEntry(now[1]!, absent()), declaredEntry(now[2]!, absent())];
    expect(brief(diff(entries, now))).toEqual(['create consensus.etcd.db-2 on db-2: etcd.ensure', 'create consensus.etcd.db-3 on db-3: etcd.ensure']);
  });

  it('three replaced at once: one member at a time, the rest in the next applies', () => {
    const all = etcdOf(['db-4', 'db-5', 'db-6']);
    const entries = [
      ...all.map((p) => declaredEntry(p, absent())),
      ...['db-1', 'db-2', 'db-3'].map((h) => undeclaredEntry(h, running(old.get(h)!, h, three))),
    ];
    const changes = diff(entries, all);
    expect(brief(changes)).toEqual(['create consensus.etcd.db-4 on db-4: etcd.join', 'delete consensus.etcd.db-1 on db-1: etcd.leave']);
    expect(changes[0]!.reason).toContain('one member at a time: db-5, db-6 joins, db-2, db-3 leaves in the next apply');
  });

  it('shrinking to 2 members on the way says both are then needed', () => {
    const one = etcdOf(['db-1']);
    const entries = [declaredEntry(one[0]!, running(old.get('db-1')!, 'db-1', three)), ...['db-2', 'db-3'].map((h) => undeclaredEntry(h, running(old.get(h)!, h, three)))];
    const changes = diff(entries, one);
    expect(brief(changes)).toEqual(['delete consensus.etcd.db-2 on db-2: etcd.leave [FAILOVER]']);
    expect(changes[0]!.hazards[0]!.message).toContain('shrinks to 2 members until the next apply');
  });
});

describe('etcd\'s member list', () => {
  it('keeps uint64 IDs as strings, learners and members not started yet', () => {
    const json = '{"header":{"cluster_id":"14841639068965178418"},"members":[{"ID":"10501334649042878790","name":"db-3","peerURLs":["https://10.77.0.13:2380"],"clientURLs":["https://10.77.0.13:2379"]},{"ID":"9372538179322589801","peerURLs":["https://10.77.0.14:2380"],"isLearner":true}]}';
    const members = parseMembers(json)!;
    expect(members).toEqual([
      { id: '9372538179322589801', name: '', peerUrls: ['https://10.77.0.14:2380'], clientUrls: [], learner: true },
      { id: '10501334649042878790', name: 'db-3', peerUrls: ['https://10.77.0.13:2380'], clientUrls: ['https://10.77.0.13:2379'], learner: false },
    ]);
    expect(initialCluster(members, 'db-4', 'https://10.77.0.14:2380')).toBe('db-4=https://10.77.0.14:2380,db-3=https://10.77.0.13:2380');
    expect(parseMembers('not json')).toBeNull();
  });
});

describe('the Patroni members when the store moves', () => {
  const before = patroniPlacements(loadConfig('databases.yaml', yaml(['db-3'])), DESIRED_CTX)[0]!;
  const after = patroniPlacements(loadConfig('databases.yaml', yaml(['db-4'])), DESIRED_CTX)[0]!;
  const sha = (t: string) => createHash('sha256').update(t).digest('hex');
  const ymlBefore = before.desired.spec.files['patroni.yml']!;
  const ymlAfter = after.desired.spec.files['patroni.yml']!;
  const observed = (file: string, inFile: string[], atStart: string[] | undefined, label = true): ObservedPatroni => ({
    container: {
      name: 'dbform-orders', role: 'patroni', addon: 'orders', spec: specHash(before.desired.spec), running: true, status: 'running', dir: before.desired.spec.dir,
      imageId: 'sha256:a', tagImageId: 'sha256:a', ...(label && atStart ? { consensusAtStart: atStart } : {}),
    },
    files: { 'patroni.yml': sha(file) }, member: null, certs: {}, consensusInFile: inFile, ...(atStart ? { consensusAtStart: atStart } : {}),
  });

  it('renders patroni.yml with another list of the store exactly as the file would be', () => {
    expect(withConsensus(ymlAfter, ['10.77.0.13:2379'])).toBe(ymlBefore);
    expect(specHash(specWithConsensus(after.desired.spec, ['10.77.0.13:2379']))).toBe(specHash(before.desired.spec));
  });

  it('rewrites patroni.yml without a restart or reload, then counts the member as up to date', () => {
    const changes = patroniKind.diff(after, observed(ymlBefore, ['10.77.0.13:2379'], ['10.77.0.13:2379']));
    expect(brief(changes)).toEqual(['update addon.orders.patroni.db-1 on db-1: patroni.repoint']);
    expect(changes[0]!.reason).toContain('names the consensus store\'s members now (10.77.0.14:2379): rewritten for Patroni\'s next start, without a restart or reload');
    expect(patroniKind.diff(after, observed(ymlAfter, ['10.77.0.14:2379'], ['10.77.0.13:2379']))).toEqual([]);
  });

  it('a member started before the label: the same, from the copy of the file it started with', () => {
    expect(brief(patroniKind.diff(after, observed(ymlBefore, ['10.77.0.13:2379'], ['10.77.0.13:2379'], false)))).toEqual(['update addon.orders.patroni.db-1 on db-1: patroni.repoint']);
    expect(patroniKind.diff(after, observed(ymlAfter, ['10.77.0.14:2379'], ['10.77.0.13:2379'], false))).toEqual([]);
  });

  it('without knowing what it started with, a changed store is still a restart (as before)', () => {
    const changes = patroniKind.diff(after, observed(ymlBefore, ['10.77.0.13:2379'], undefined));
    expect(brief(changes)).toEqual(['update addon.orders.patroni.db-1 on db-1: patroni.ensure [FAILOVER]']);
  });

  it('another change of patroni.yml with the store\'s (pg_hba): reloaded, with its hazard, not a silent rewrite', () => {
    const otherHba = withConsensus(ymlBefore, ['10.77.0.13:2379']).replace('host all all all reject', 'host all all all reject # changed');
    const changes = patroniKind.diff(after, observed(otherHba, ['10.77.0.13:2379'], ['10.77.0.13:2379']));
    expect(brief(changes)).toEqual(['update addon.orders.patroni.db-1 on db-1: patroni.reload [ACCESS_CHANGE]']);
  });
});
