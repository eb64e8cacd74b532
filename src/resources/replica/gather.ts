import { shq } from '../../util/shell.js';
import type { ObservedReplica, StandbyState } from './model.js';

// Read-only: the read replicas on a host in one command: their containers' `docker inspect`, then, for each
// running one, its PostgreSQL's view of its own replication (as the superuser over the container's socket:
// peer authentication, no password). The pure parser is tested with recorded output.

export const REPLICA_LABEL = 'dbform.replica-of';
export const REPLICA_SPEC_LABEL = 'dbform.replica-spec';
export const REPLICA_PORT_LABEL = 'dbform.replica-port';
const STANDBY_MARKER = '@@dbform-standby';

/** Bytes not replayed yet: up to the primary's WAL position as last heard (latest_end_lsn, sent with every
 *  message of the primary, keepalives included), or what was received if that is further. */
export const STANDBY_SQL = `SELECT json_build_object(
  'inRecovery', pg_is_in_recovery(),
  'receiver', (SELECT status FROM pg_stat_wal_receiver),
  'paused', pg_is_in_recovery() AND pg_get_wal_replay_pause_state() <> 'not paused',
  'behind', CASE WHEN pg_is_in_recovery()
    THEN pg_wal_lsn_diff(GREATEST(pg_last_wal_receive_lsn(), (SELECT latest_end_lsn FROM pg_stat_wal_receiver)), pg_last_wal_replay_lsn())
    ELSE 0 END)`;

export function replicaListCommand(): string {
  const perRunning = [
    `port=$(docker inspect -f ${shq(`{{index .Config.Labels "${REPLICA_PORT_LABEL}"}}`)} "$c")`,
    `echo "${STANDBY_MARKER} $(docker inspect -f '{{.Name}}' "$c")"`,
    `docker exec --user postgres "$c" psql -XAtq -h /tmp -p "$port" -d postgres -c ${shq(STANDBY_SQL)} 2>/dev/null`,
  ].join('; ');
  return [
    `ids=$(docker ps -aq --filter label=${REPLICA_LABEL}) || exit 1`,
    `if [ -z "$ids" ]; then echo '[]'; exit 0; fi`,
    'docker inspect $ids || exit 1',
    `for c in $(docker ps -q --filter label=${REPLICA_LABEL}); do ${perRunning}; done`,
    'true',
  ].join('\n');
}

interface InspectEntry {
  Name: string;
  Config: { Labels: Record<string, string> | null };
  State: { Status: string; Running: boolean; Restarting?: boolean };
  HostConfig: { Binds: string[] | null };
}

const MB = 1024 * 1024;

export function parseStandby(json: string): StandbyState | null {
  try {
    const s = JSON.parse(json) as { inRecovery: boolean; receiver: string | null; paused: boolean; behind: number | string | null };
    const behind = s.behind === null ? null : Math.max(0, Number(s.behind));
    return {
      inRecovery: s.inRecovery,
      receiver: s.receiver,
      paused: s.paused,
      behindMb: behind === null ? null : Math.ceil(behind / MB),
      caughtUp: behind === 0,
    };
  } catch {
    return null;
  }
}

/** Pure: the list command's output -> the replicas on the host, by the add-on they copy. */
export function parseReplicaList(stdout: string): Map<string, ObservedReplica> {
  const [json = '[]', ...sections] = stdout.split(`\n${STANDBY_MARKER} `);
  const standbys = new Map(sections.map((s) => {
    const nl = s.indexOf('\n');
    return [(nl < 0 ? s : s.slice(0, nl)).trim().replace(/^\//, ''), nl < 0 ? null : parseStandby(s.slice(nl + 1).trim())] as const;
  }));
  const out = new Map<string, ObservedReplica>();
  for (const c of JSON.parse(json) as InspectEntry[]) {
    const labels = c.Config.Labels ?? {};
    const source = labels[REPLICA_LABEL];
    if (!source) continue;
    const name = c.Name.replace(/^\//, '');
    const bind = (c.HostConfig.Binds ?? []).find((b) => b.split(':')[1] === '/var/lib/dbform');
    const running = c.State.Running && c.State.Restarting !== true;
    out.set(source, {
      source, name, spec: labels[REPLICA_SPEC_LABEL] ?? '', running, status: c.State.Status,
      dataDir: bind?.split(':')[0] ?? '', standby: running ? (standbys.get(name) ?? null) : null,
    });
  }
  return out;
}
