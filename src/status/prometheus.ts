import type { AddonStatus, FleetStatus, GatewayStatus, MemberStatus } from './model.js';

// Pure: the fleet's status in the Prometheus text exposition format (version 0.0.4), for `dbform metrics` and
// the dashboard's /metrics. Names follow Prometheus' conventions: a dbform_ prefix, base units in the name
// (_bytes, _seconds, _ratio), _total for counters, one HELP and TYPE per family. A figure that is unknown is
// left out (an absent sample, not a zero).

type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Array<{ labels: Labels; value: number }>;
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}

const seconds = (iso: string) => Date.parse(iso) / 1000;

type MemberMetric = [string, string, 'gauge' | 'counter', (m: MemberStatus) => number | null];
type AddonMetric = [string, string, (a: AddonStatus) => number | null];

/** The member families a gateway has samples in (its container's figures; no catalog, no data directory), with
 *  component="gateway" beside its member="dbform-ADDON-gateway". */
const GATEWAY_METRICS: Record<string, (g: GatewayStatus) => number | null> = {
  dbform_addon_up: (g) => (g.state === 'unknown' ? null : g.state === 'running' ? 1 : 0),
  dbform_addon_cpu_seconds_total: (g) => g.cpuSecondsTotal,
  dbform_addon_cpu_ratio: (g) => (g.cpuPercent === null ? null : g.cpuPercent / 100),
  dbform_addon_memory_bytes: (g) => g.memory.current,
  dbform_addon_memory_peak_bytes: (g) => g.memory.peak,
  dbform_addon_memory_limit_bytes: (g) => g.memory.limit,
  dbform_addon_start_time_seconds: (g) => (g.startedAt ? seconds(g.startedAt) : null),
};

function gatewaySamples(s: FleetStatus, family: string): Array<{ labels: Labels; value: number }> {
  const pick = GATEWAY_METRICS[family];
  if (!pick) return [];
  return s.addons.flatMap((a) =>
    a.gateways.flatMap((g) => {
      const v = pick(g);
      return v === null ? [] : [{ labels: { addon: a.addon, host: g.host, member: g.name, component: 'gateway' }, value: v }];
    }),
  );
}

const MEMBER_METRICS: MemberMetric[] = [
  ['dbform_addon_up', 'Whether the member\'s container is running (1) or not (0).', 'gauge', (m) => (m.state === 'unknown' ? null : m.state === 'running' ? 1 : 0)],
  ['dbform_addon_cpu_seconds_total', 'CPU time the member\'s container used since it started.', 'counter', (m) => m.cpuSecondsTotal],
  ['dbform_addon_cpu_ratio', 'Share of one CPU the member used over the sampling window (1 = one core).', 'gauge', (m) => (m.cpuPercent === null ? null : m.cpuPercent / 100)],
  ['dbform_addon_memory_bytes', 'Memory in use by the member\'s container, less the inactive file cache.', 'gauge', (m) => m.memory.current],
  ['dbform_addon_memory_peak_bytes', 'Highest memory use of the member\'s container since it started.', 'gauge', (m) => m.memory.peak],
  ['dbform_addon_memory_limit_bytes', 'Memory limit of the member\'s container (the plan\'s).', 'gauge', (m) => m.memory.limit],
  ['dbform_addon_memory_free_bytes', 'Memory left below the limit.', 'gauge', (m) => m.memory.free],
  ['dbform_addon_swap_bytes', 'Swap used by the member\'s container.', 'gauge', (m) => m.swap.current],
  ['dbform_addon_connections', 'Client connections open on the member.', 'gauge', (m) => m.connections.open],
  ['dbform_addon_connections_max', 'max_connections of the member.', 'gauge', (m) => m.connections.max],
  ['dbform_addon_data_size_bytes', 'Logical size of the member\'s databases (pg_database_size).', 'gauge', (m) => m.dataSize],
  ['dbform_addon_disk_usage_bytes', 'Disk space the member\'s data directory takes.', 'gauge', (m) => m.diskSize],
  ['dbform_addon_disk_quota_bytes', 'Disk quota of the member, where there is one.', 'gauge', (m) => m.disk.quota],
  ['dbform_addon_filesystem_size_bytes', 'Size of the filesystem holding the member\'s data directory.', 'gauge', (m) => m.disk.filesystemSize],
  ['dbform_addon_filesystem_free_bytes', 'Free space on the filesystem holding the member\'s data directory.', 'gauge', (m) => m.disk.filesystemFree],
  ['dbform_addon_replication_lag_seconds', 'How far a replica is behind its primary.', 'gauge', (m) => m.replicationLagSeconds],
  ['dbform_addon_replication_lag_bytes', 'WAL a replica has not replayed yet, up to its primary\'s position as it last heard it.', 'gauge', (m) => m.replicationLagBytes],
  ['dbform_addon_start_time_seconds', 'When the member\'s container started, in seconds since the epoch.', 'gauge', (m) => (m.startedAt ? seconds(m.startedAt) : null)],
];

const ADDON_METRICS: AddonMetric[] = [
  ['dbform_addon_last_backup_timestamp_seconds', 'Start of the newest good logical backup, in seconds since the epoch.', (a) => (a.backups?.lastGood ? seconds(a.backups.lastGood.startedAt) : null)],
  ['dbform_addon_backups', 'Logical backups stored.', (a) => (a.backups && !a.backups.error ? a.backups.count : null)],
  ['dbform_addon_pitr_window_start_timestamp_seconds', 'Earliest time a point-in-time restore can reach.', (a) => (a.pitr?.window ? seconds(a.pitr.window.earliest) : null)],
  ['dbform_addon_pitr_window_end_timestamp_seconds', 'Latest time a point-in-time restore can reach.', (a) => (a.pitr?.window ? seconds(a.pitr.window.latest) : null)],
  ['dbform_addon_drift_changes', 'Changes a plan would make to the add-on (0: it matches the file).', (a) => a.drift?.changes ?? null],
];

function families(s: FleetStatus): Family[] {
  const out: Family[] = [];
  const info: Family = { name: 'dbform_addon_info', help: 'The add-on\'s plan, host and version (always 1).', type: 'gauge', samples: [] };
  for (const a of s.addons) info.samples.push({ labels: { addon: a.addon, host: a.host, plan: a.plan, version: a.serverVersion ?? a.version }, value: 1 });
  out.push(info);
  for (const [name, help, type, pick] of MEMBER_METRICS) {
    const samples = s.addons.flatMap((a) =>
      a.members.flatMap((m) => {
        const v = pick(m);
        return v === null ? [] : [{ labels: { addon: a.addon, host: m.host, member: m.name }, value: v }];
      }),
    );
    out.push({ name, help, type, samples: [...samples, ...gatewaySamples(s, name)] });
  }
  for (const [name, help, pick] of ADDON_METRICS) {
    const samples = s.addons.flatMap((a) => {
      const v = pick(a);
      return v === null ? [] : [{ labels: { addon: a.addon, host: a.host }, value: v }];
    });
    out.push({ name, help, type: 'gauge', samples });
  }
  const hosts = [...new Set(s.addons.flatMap((a) => [a.host, ...a.members.map((m) => m.host)]))].sort();
  out.push({ name: 'dbform_host_up', help: 'Whether dbform could read the host (1) or not (0).', type: 'gauge', samples: hosts.map((h) => ({ labels: { host: h }, value: s.hostErrors[h] ? 0 : 1 })) });
  return out;
}

export function prometheusText(s: FleetStatus): string {
  const lines: string[] = [];
  for (const f of families(s)) {
    if (!f.samples.length) continue;
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const x of f.samples) lines.push(`${f.name}${labelText(x.labels)} ${formatValue(x.value)}`);
  }
  return lines.join('\n') + '\n';
}
