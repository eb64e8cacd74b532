import type { ObservedHaContainer, PatroniMemberState } from './model.js';
import { HA_ADDON_LABEL, HA_CONSENSUS_LABEL, HA_LABEL, HA_SPEC_LABEL } from './run-container.js';
import { HA_DIR } from './dir.js';
import { PATRONI_CURL_TLS } from './tls.js';
import { shellJoin, shq } from '../../util/shell.js';

// Read-only: the containers of high availability on a host (one `docker inspect`), and a Patroni member's
// view of its cluster (its REST API). The pure parsers are tested with recorded output.

const IMAGES_MARKER = '@@dbform-images';

/** The containers' `docker inspect`, then the ID each image name they use points to now ("name id" lines). */
export const HA_LIST_COMMAND = [
  `ids=$(docker ps -aq --filter label=${HA_LABEL}) || exit 1`,
  `if [ -z "$ids" ]; then echo '[]'; exit 0; fi`,
  'docker inspect $ids || exit 1',
  `echo ${IMAGES_MARKER}`,
  `for i in $(docker inspect -f '{{.Config.Image}}' $ids | sort -u); do printf '%s %s\n' "$i" "$(docker image inspect -f '{{.Id}}' "$i" 2>/dev/null)"; done`,
].join('\n');

interface InspectEntry {
  Name: string;
  Image?: string;
  Config: { Image: string; Labels: Record<string, string> | null; Cmd?: string[] | null };
  State: { Status: string; Running: boolean };
  HostConfig: { Binds: string[] | null };
}

export function parseHaInspect(stdout: string): Map<string, ObservedHaContainer> {
  const [json = '[]', images = ''] = stdout.split(`\n${IMAGES_MARKER}\n`);
  const tagIds = new Map(images.split('\n').map((l) => l.trim().split(' ')).filter((p) => p.length === 2 && p[1]) as Array<[string, string]>);
  const out = new Map<string, ObservedHaContainer>();
  for (const c of JSON.parse(json) as InspectEntry[]) {
    const labels = c.Config.Labels ?? {};
    const name = c.Name.replace(/^\//, '');
    const bind = (c.HostConfig.Binds ?? []).find((b) => b.split(':')[1] === HA_DIR);
    out.set(name, {
      name, role: labels[HA_LABEL] ?? '', addon: labels[HA_ADDON_LABEL] ?? '', spec: labels[HA_SPEC_LABEL] ?? '',
      running: c.State.Running, status: c.State.Status, dir: bind?.split(':')[0] ?? '',
      imageId: c.Image ?? null, tagImageId: tagIds.get(c.Config.Image) ?? null,
      ...(c.Config.Cmd ? { command: c.Config.Cmd } : {}),
      ...(labels[HA_CONSENSUS_LABEL] ? { consensusAtStart: labels[HA_CONSENSUS_LABEL].split(',') } : {}),
    });
  }
  return out;
}

const PLAIN_HTTP_MARKER = '@@plain-http';

/** Asks the member's API for the cluster, from inside its container (the image has curl), over HTTPS verified
 *  against the fleet CA. A member started before its API had TLS still answers plain http: read so, and
 *  marked, so that the plan moves it to TLS (nothing is sent to it; what it answers is no secret). */
export function patroniClusterCommand(container: string, apiPort: number): string {
  const https = shellJoin(['curl', '-sf', '-m', '2', ...PATRONI_CURL_TLS, `https://127.0.0.1:${apiPort}/cluster`]);
  const plain = shellJoin(['curl', '-sf', '-m', '2', `http://127.0.0.1:${apiPort}/cluster`]);
  return `docker exec ${shq(container)} sh -c ${shq(`${https} || { ${plain} && echo && echo ${PLAIN_HTTP_MARKER}; }`)}`;
}

interface ClusterJson {
  members?: Array<{ name: string; role: string; state: string; lag?: number | string; timeline?: number; pending_restart?: boolean }>;
}

/** One member's entry of Patroni's /cluster answer; null when it is not listed. */
export function parsePatroniMember(stdout: string, member: string): PatroniMemberState | null {
  const plainHttpApi = stdout.trimEnd().endsWith(PLAIN_HTTP_MARKER);
  const json = plainHttpApi ? stdout.trimEnd().slice(0, -PLAIN_HTTP_MARKER.length) : stdout;
  let parsed: ClusterJson;
  try {
    parsed = JSON.parse(json) as ClusterJson;
  } catch {
    return null;
  }
  const m = parsed.members?.find((x) => x.name === member);
  if (!m) return null;
  const lag = typeof m.lag === 'number' ? Math.ceil(m.lag / (1024 * 1024)) : null;
  return { role: m.role, state: m.state, lagMb: m.role === 'leader' ? null : lag, timeline: m.timeline ?? null, pendingRestart: m.pending_restart === true, plainHttpApi };
}

/** The etcd3 hosts lines of a patroni.yml (nothing else of it crosses the connection), after a marker line
 *  when the file exists. */
export function consensusHostsCommand(path: string): string {
  return `if [ -f ${shq(path)} ]; then echo ${FILE_MARKER}; sed -n '/^etcd3:/,/^[a-z]/p' ${shq(path)} | grep -E '^ +- [0-9a-f.:]+:[0-9]+$'; fi; true`;
}

const FILE_MARKER = '@@file';

/** Null when the file is missing. */
export function parseConsensusHosts(stdout: string): string[] | null {
  const lines = stdout.split('\n').map((l) => l.trim());
  if (!lines.includes(FILE_MARKER)) return null;
  return lines.filter((l) => l.startsWith('- ')).map((l) => l.slice(2).trim());
}
