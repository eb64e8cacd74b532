import type { ObservedHaContainer, PatroniMemberState } from './model.js';
import { HA_ADDON_LABEL, HA_LABEL, HA_SPEC_LABEL } from './run-container.js';
import { HA_DIR } from './render.js';
import { shq } from '../../util/shell.js';

// Read-only: the containers of high availability on a host (one `docker inspect`), and a Patroni member's
// view of its cluster (its REST API). The pure parsers are tested with recorded output.

export const HA_LIST_COMMAND = `ids=$(docker ps -aq --filter label=${HA_LABEL}) && if [ -n "$ids" ]; then docker inspect $ids; else echo '[]'; fi`;

interface InspectEntry {
  Name: string;
  Config: { Labels: Record<string, string> | null };
  State: { Status: string; Running: boolean };
  HostConfig: { Binds: string[] | null };
}

export function parseHaInspect(json: string): Map<string, ObservedHaContainer> {
  const out = new Map<string, ObservedHaContainer>();
  for (const c of JSON.parse(json) as InspectEntry[]) {
    const labels = c.Config.Labels ?? {};
    const name = c.Name.replace(/^\//, '');
    const bind = (c.HostConfig.Binds ?? []).find((b) => b.split(':')[1] === HA_DIR);
    out.set(name, {
      name, role: labels[HA_LABEL] ?? '', addon: labels[HA_ADDON_LABEL] ?? '', spec: labels[HA_SPEC_LABEL] ?? '',
      running: c.State.Running, status: c.State.Status, dir: bind?.split(':')[0] ?? '',
    });
  }
  return out;
}

/** Asks the member's API for the cluster, from inside its container (the image has curl). */
export function patroniClusterCommand(container: string, apiPort: number): string {
  return `docker exec ${shq(container)} curl -sf -m 2 http://127.0.0.1:${apiPort}/cluster`;
}

interface ClusterJson {
  members?: Array<{ name: string; role: string; state: string; lag?: number | string; timeline?: number }>;
}

/** One member's entry of Patroni's /cluster answer; null when it is not listed. */
export function parsePatroniMember(json: string, member: string): PatroniMemberState | null {
  let parsed: ClusterJson;
  try {
    parsed = JSON.parse(json) as ClusterJson;
  } catch {
    return null;
  }
  const m = parsed.members?.find((x) => x.name === member);
  if (!m) return null;
  const lag = typeof m.lag === 'number' ? Math.ceil(m.lag / (1024 * 1024)) : null;
  return { role: m.role, state: m.state, lagMb: m.role === 'leader' ? null : lag, timeline: m.timeline ?? null };
}
