import { ADDON_LABEL, MANAGED_LABEL } from '../resources/container/gather.js';
import { containerName } from '../resources/desired.js';
import { shq } from '../util/shell.js';
import type { CpuReading } from './cgroup.js';

// The one command `dbform status` runs on a host (one SSH round trip per host): the managed containers
// (one `docker inspect`), each one's cgroup files found through its main process (/proc/PID/cgroup, so any
// cgroup driver and parent works), two CPU readings some time apart, the size on disk of each add-on's data
// directory and its filesystem, and for add-ons with PITR `pgbackrest info` in the running container. It only
// reads: no file is written, no container is created. probeCommand builds it and parseProbe reads its
// answer; both are pure, so the unit tests run on recorded answers.

export interface ProbedAddon {
  name: string;
  /** The add-on's directory on the host (its pgdata/ is the data directory). */
  dataDir: string;
  pitr: boolean;
}

export interface ProbedContainer {
  addon: string;
  status: string;
  running: boolean;
  /** HostConfig.Memory, bytes (0: no limit). */
  memory: number;
  startedAt: string;
  image: string;
}

export interface ProbeAnswer {
  cgroupVersion: 1 | 2;
  containers: Map<string, ProbedContainer>;
  /** add-on -> cgroup memory file (or memory.stat key) -> value. */
  memory: Map<string, Record<string, string>>;
  cpu: [Map<string, CpuReading>, Map<string, CpuReading>];
  diskUsage: Map<string, number>;
  filesystem: Map<string, { size: number; free: number }>;
  /** add-on -> `pgbackrest info --output=json`, or why it failed. */
  pitrInfo: Map<string, { ok: boolean; text: string }>;
}

const INSPECT_FORMAT =
  `{{.State.Pid}} {{index .Config.Labels "${ADDON_LABEL}"}} ` +
  `{"addon":{{json (index .Config.Labels "${ADDON_LABEL}")}},"status":{{json .State.Status}},"running":{{.State.Running}},` +
  `"memory":{{.HostConfig.Memory}},"startedAt":{{json .State.StartedAt}},"image":{{json .Config.Image}}}`;

const MEMORY_FILES = [
  'memory.current', 'memory.peak', 'memory.max', 'memory.swap.current', 'memory.swap.max',
  'memory.usage_in_bytes', 'memory.max_usage_in_bytes', 'memory.limit_in_bytes', 'memory.memsw.usage_in_bytes', 'memory.memsw.limit_in_bytes',
];

/** Shell functions of the probe: the cgroup directory of a process for a v1 controller (v2 has one), its CPU time. */
const FUNCTIONS = `v=1; [ -f /sys/fs/cgroup/cgroup.controllers ] && v=2; echo "@@cgroup $v"
cgdir() { if [ $v = 2 ]; then echo "/sys/fs/cgroup$(awk -F: '$1=="0"{print $3}' /proc/$1/cgroup)"; else echo "/sys/fs/cgroup/$2$(awk -F: -v c=$2 '{n=split($2,a,",");for(i=1;i<=n;i++)if(a[i]==c)print $3}' /proc/$1/cgroup)"; fi; }
cpu() { if [ $v = 2 ]; then awk '$1=="usage_usec"{printf "%.0f\\n", $2*1000}' "$(cgdir $1)/cpu.stat"; else cat "$(cgdir $1 cpuacct)/cpuacct.usage"; fi; }
each() { printf '%s\\n' "$info" | while read -r pid addon json; do [ -n "$pid" ] && "$@" "$pid" "$addon" "$json"; done; }
cpusample() { [ "$2" != 0 ] && echo "@@cpu$1 $3 $(date +%s%N) $(cpu $2 2>/dev/null)"; true; }
memory() { echo "@@container $3"; [ "$1" = 0 ] && return; d=$(cgdir $1 memory); echo "@@memory $2"
  for f in ${MEMORY_FILES.join(' ')}; do [ -r "$d/$f" ] && echo "$f $(cat "$d/$f")"; done
  grep -E '^(total_)?inactive_file ' "$d/memory.stat" 2>/dev/null; true; }`;

export function probeCommand(addons: readonly ProbedAddon[], sampleSeconds = 0.2): string {
  const list = `ids=$(docker ps -aq --filter label=${MANAGED_LABEL}=true) || exit 3; info=''; [ -z "$ids" ] || info=$(docker inspect -f ${shq(INSPECT_FORMAT)} $ids) || exit 3`;
  const disk = addons.map((a) => {
    const pgdata = shq(`${a.dataDir}/pgdata`);
    return `[ -d ${pgdata} ] && echo "@@du ${a.name} $(du -s -B1 ${pgdata} 2>/dev/null | cut -f1)" && echo "@@df ${a.name} $(df -B1 --output=size,avail ${pgdata} 2>/dev/null | tail -n 1)"`;
  });
  const pitr = addons.filter((a) => a.pitr).map((a) => {
    const info = ['docker', 'exec', '-u', 'postgres', containerName(a.name), 'pgbackrest', `--stanza=${a.name}`, '--log-level-console=error', '--log-level-file=off', 'info', '--output=json'];
    // Only in a running container (docker exec would fail): the inspect answer above says which ones run.
    return `case "$info" in *${shq(`{"addon":${JSON.stringify(a.name)},"status":"running"`)}*) if out=$(${info.map(shq).join(' ')} 2>&1); then echo "@@pitr ${a.name} ok"; else echo "@@pitr ${a.name} failed"; fi; printf '%s\\n' "$out" | head -c 1000000;; esac`;
  });
  return [FUNCTIONS, list, 'each memory', 'each cpusample 0', ...disk, ...pitr, `sleep ${sampleSeconds}`, 'each cpusample 1', 'true'].join('\n');
}

function sectionsOf(stdout: string): Array<{ head: string[]; raw: string; lines: string[] }> {
  const out: Array<{ head: string[]; raw: string; lines: string[] }> = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith('@@')) out.push({ head: line.slice(2).trim().split(/\s+/), raw: line, lines: [] });
    else if (out.length && line !== '') out[out.length - 1]!.lines.push(line);
  }
  return out;
}

export function parseProbe(stdout: string): ProbeAnswer {
  const answer: ProbeAnswer = {
    cgroupVersion: 2, containers: new Map(), memory: new Map(), cpu: [new Map(), new Map()],
    diskUsage: new Map(), filesystem: new Map(), pitrInfo: new Map(),
  };
  for (const { head, raw, lines } of sectionsOf(stdout)) {
    const [tag, ...rest] = head;
    if (tag === 'cgroup') answer.cgroupVersion = rest[0] === '1' ? 1 : 2;
    else if (tag === 'container') {
      const c = JSON.parse(raw.slice('@@container '.length)) as ProbedContainer;
      if (c.addon) answer.containers.set(c.addon, c);
    } else if (tag === 'memory') {
      answer.memory.set(rest[0]!, Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1).trim()])));
    } else if (tag === 'cpu0' || tag === 'cpu1') {
      const [addon, at, usage] = rest;
      if (addon && /^\d+$/.test(at ?? '') && /^\d+$/.test(usage ?? '')) answer.cpu[tag === 'cpu0' ? 0 : 1].set(addon, { atNs: BigInt(at!), usageNs: BigInt(usage!) });
    } else if (tag === 'du' && /^\d+$/.test(rest[1] ?? '')) answer.diskUsage.set(rest[0]!, Number(rest[1]));
    else if (tag === 'df' && /^\d+$/.test(rest[1] ?? '') && /^\d+$/.test(rest[2] ?? '')) {
      answer.filesystem.set(rest[0]!, { size: Number(rest[1]), free: Number(rest[2]) });
    } else if (tag === 'pitr') answer.pitrInfo.set(rest[0]!, { ok: rest[1] === 'ok', text: lines.join('\n') });
  }
  return answer;
}
