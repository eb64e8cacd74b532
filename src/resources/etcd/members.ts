import type { EtcdMember } from '../ha/model.js';
import { shellJoin, shq } from '../../util/shell.js';
import { ETCD_MEMBER_CERT, etcdCurlTls } from '../ha/tls.js';
import { ETCD_CLIENT_PORT } from '../ha/render.js';

// The consensus store's membership as etcd reports it (its v3 JSON API, /v3/cluster/member/*), read by gather
// from a running member and by apply (etcd/move-apply.ts) before each change of it. Pure parsers and commands.

interface MemberJson {
  ID?: string | number;
  name?: string;
  peerURLs?: string[];
  clientURLs?: string[];
  isLearner?: boolean;
}

/** The members in an answer of member/list, member/add or member/remove; null when it is not one. IDs are
 *  uint64: etcd's JSON gives them as strings, kept so (a JavaScript number would round them). */
export function parseMembers(stdout: string): EtcdMember[] | null {
  let parsed: { members?: MemberJson[] };
  try {
    parsed = JSON.parse(stdout) as { members?: MemberJson[] };
  } catch {
    return null;
  }
  if (!Array.isArray(parsed.members)) return null;
  return parsed.members
    .map((m) => ({ id: String(m.ID ?? ''), name: m.name ?? '', peerUrls: m.peerURLs ?? [], clientUrls: m.clientURLs ?? [], learner: m.isLearner === true }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** member/list asked of the member in `container` (on its own host, over loopback, with its certificate). */
export function memberListCommand(container: string): string {
  const curl = shellJoin(['curl', '-sf', '-m', '2', ...etcdCurlTls(ETCD_MEMBER_CERT), '-X', 'POST', '-d', '{}', `https://127.0.0.1:${ETCD_CLIENT_PORT}/v3/cluster/member/list`]);
  return `docker exec ${shq(container)} ${curl}`;
}

/** The member whose name or peer address is the host's (a member added but not started has no name yet). */
export function memberOf(members: readonly EtcdMember[], name: string, peerUrl?: string): EtcdMember | undefined {
  return members.find((m) => m.name === name) ?? (peerUrl ? members.find((m) => !m.name && m.peerUrls.includes(peerUrl)) : undefined);
}

/** Members that vote (started, not learners): a majority of them is the store's quorum. */
export const voters = (members: readonly EtcdMember[]): EtcdMember[] => members.filter((m) => m.name && !m.learner);

/** etcd's --initial-cluster for a member joining `members` (the list once it is added): every member by name,
 *  the joining one (not started yet, so nameless) by `name`. */
export function initialCluster(members: readonly EtcdMember[], name: string, peerUrl: string): string {
  return members
    .filter((m) => m.peerUrls.length)
    .map((m) => `${m.peerUrls.includes(peerUrl) ? name : m.name}=${m.peerUrls[0]!}`)
    .join(',');
}
