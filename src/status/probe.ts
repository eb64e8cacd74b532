import { ADDON_LABEL, MANAGED_LABEL } from '../resources/container/gather.js';
import { HA_ADDON_LABEL, HA_LABEL } from '../resources/ha/run-container.js';
import { containerName } from '../resources/desired.js';
import { REPLICA_LABEL } from '../resources/replica/gather.js';
import { shq } from '../util/shell.js';
import type { CpuReading } from './cgroup.js';
import { PROBE_AWK } from './probe-awk.js';

// What `dbform status` runs on a host, in two commands sent in the same batch as the drift check's first reads
// (one exec, batched-reads.ts). The first, at the head of the batch: the managed containers (one `docker
// inspect`), each one's cgroup files found through its main process (/proc/PID/cgroup, so any cgroup driver and
// parent works) and a first CPU reading. The tail, behind every other read of the batch (`execLast`): the size on
// disk of each add-on's data directory and its filesystem, the disk guard's status, for add-ons with PITR
// `pgbackrest info` in the running container, and the second CPU reading once the sampling window has passed
// (gather's reads between the two usually fill it; otherwise the tail waits for the rest). The batch hands each
// result back as it ends, so the catalog logins that follow gather's reads go on while the tail runs. Both only
// read: no file is written, no container is created. The commands are built and their answers (concatenated)
// read by pure functions, so the unit tests run on recorded answers.

export interface ProbedAddon {
  name: string;
  /** The add-on's directory on the host (its pgdata/ is the data directory). */
  dataDir: string;
  pitr: boolean;
  /** Whether the disk-full guard watches it (false for a read replica: nothing writes there). */
  guard?: boolean;
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
  /** add-on -> the disk-full guard's status file (KEY=VALUE lines), when it has run. */
  guard: Map<string, Record<string, string>>;
  /** add-on -> `pgbackrest info --output=json`, or why it failed. */
  pitrInfo: Map<string, { ok: boolean; text: string }>;
}

/** A container's key in the answer (members.ts): a single instance's or a Patroni member's add-on name, or
 *  ADDON/replica for a read replica, ADDON/gateway for a gateway. `emit` prints a template expression, as is
 *  or as JSON. */
function containerKey(emit: (expr: string) => string): string {
  const label = (name: string) => `index $.Config.Labels "${name}"`;
  return `{{with ${label(ADDON_LABEL)}}}${emit('.')}{{else}}{{with ${label(REPLICA_LABEL)}}}${emit('print . "/replica"')}{{else}}` +
    `{{with ${label(HA_ADDON_LABEL)}}}{{if eq (${label(HA_LABEL)}) "gateway"}}${emit('print . "/gateway"')}{{else}}${emit('.')}{{end}}` +
    `{{else}}${emit('"-"')}{{end}}{{end}}{{end}}`;
}
const KEY_OF = containerKey((e) => `{{${e}}}`);
const INSPECT_FORMAT =
  `{{.State.Pid}} ${KEY_OF} ` +
  `{"addon":${containerKey((e) => `{{json (${e})}}`)},"status":{{json .State.Status}},"running":{{.State.Running}},` +
  `"memory":{{.HostConfig.Memory}},"startedAt":{{json .State.StartedAt}},"image":{{json .Config.Image}}}`;

/** Which containers the probe reads, from `docker ps` lines "ID:MANAGED:HA-ROLE:REPLICA-OF": single instances,
 *  highly available add-ons' Patroni members and gateways (not the consensus store's etcd), read replicas. */
const PROBED_CONTAINERS = `awk -F: '$2 == "true" || $3 == "patroni" || $3 == "gateway" || $4 != "" { print $1 }'`;

/** The inspect lines through the awk program: one process for every container's cgroup files. */
const awkPass = (mode: string) => `printf '%s\\n' "$info" | awk -v v="$v" -v mode=${mode} ${shq(PROBE_AWK)}`;

const CGROUP_VERSION = 'v=1; [ -f /sys/fs/cgroup/cgroup.controllers ] && v=2';

/** `ids`: the containers the probe reads (PROBED_CONTAINERS), in one listing (`-a`: stopped ones too). */
const listIds = (all: '-a' | '') =>
  `all=$(docker ps ${all} --format '{{.ID}}:{{.Label "${MANAGED_LABEL}"}}:{{.Label "${HA_LABEL}"}}:{{.Label "${REPLICA_LABEL}"}}') && ids=$(printf '%s\\n' "$all" | ${PROBED_CONTAINERS})`;

/** The first command: the containers, their memory files and the first CPU reading. */
export function probeCommand(): string {
  const list = `${listIds('-a')} || exit 3; info=''; [ -z "$ids" ] || info=$(docker inspect -f ${shq(INSPECT_FORMAT)} $ids) || exit 3`;
  return [CGROUP_VERSION, 'echo "@@cgroup $v"', list, awkPass('memory'), 'echo "@@clock0 $(date +%s%N)"', awkPass('cpu0'), 'true'].join('\n');
}

/** The tail command: the data directories' size on disk and filesystem, the disk-full guard's status,
 *  `pgbackrest info` in the running containers with PITR, and the second CPU reading of the running containers
 *  (none without one). The reading waits until `sampleSeconds` and a margin (for the first command's listing
 *  before its reading) have passed since the batch's shell started: `$$` is that shell in every command of the
 *  batch, and /proc/$$/stat has its start in clock ticks since boot, the unit of /proc/uptime. Sent alone, it
 *  waits the whole window. */
export function probeTailCommand(addons: readonly ProbedAddon[], sampleSeconds = 0.2): string {
  // One du and one df for every data directory (df's "file" column names the directory; du's last column too).
  const dirs = addons.map((a) => shq(`${a.dataDir}/pgdata`)).join(' ');
  const disk = addons.length ? [`echo @@du; du -s -B1 ${dirs} 2>/dev/null`, `echo @@df; df -B1 --output=size,avail,file ${dirs} 2>/dev/null`] : [];
  // The disk-full guard's last word (diskguard/settings.ts: beside the add-on's directory, in .diskguard/NAME).
  const guard = addons.filter((a) => a.guard !== false).map((a) => `echo ${shq(`@@guard ${a.name}`)}; cat ${shq(`${a.dataDir.slice(0, -a.name.length)}.diskguard/${a.name}/status`)} 2>/dev/null`);
  // The running containers' main processes ("PID ADDON -": the awk program's input lines).
  const running = `info=''; if ${listIds('')} && [ -n "$ids" ]; then info=$(docker inspect -f ${shq(`{{.State.Pid}} ${KEY_OF} -`)} $ids); fi`;
  // Only in a running container (docker exec would fail).
  const pitr = addons.filter((a) => a.pitr).map((a) => {
    const info = ['docker', 'exec', '-u', 'postgres', containerName(a.name), 'pgbackrest', `--stanza=${a.name}`, '--log-level-console=error', '--log-level-file=off', 'info', '--output=json'];
    const isRunning = `printf '%s\\n' "$info" | awk -v a=${shq(a.name)} '$1 != 0 && $2 == a { f = 1 } END { exit !f }'`;
    return `if ${isRunning}; then if out=$(${info.map(shq).join(' ')} 2>&1); then echo "@@pitr ${a.name} ok"; else echo "@@pitr ${a.name} failed"; fi; printf '%s\\n' "$out" | head -c 1000000; fi`;
  });
  const cpu1 = `if [ -n "$info" ]; then ${windowWait(sampleSeconds)}; echo "@@clock1 $(date +%s%N)"; ${awkPass('cpu1')}; fi`;
  return [CGROUP_VERSION, ...disk, ...guard, running, ...pitr, cpu1, 'true'].join('\n');
}

/** The first command's listing and inspect before its CPU reading: the tail's wait adds it to the window. */
const WINDOW_MARGIN_SECONDS = 0.1;

/** Waits until `sampleSeconds` and the margin have passed since the shell ($$) started; says how long. */
export function windowWait(sampleSeconds: number): string {
  return [
    `start=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f20)`,
    `left=$(awk -v s="$start" -v hz="$(getconf CLK_TCK)" -v w=${sampleSeconds + WINDOW_MARGIN_SECONDS} '{ l = s / hz + w - $1; if (l < 0) l = 0; printf "%.3f", l }' /proc/uptime)`,
    'echo "@@wait $left"; [ "$left" = 0.000 ] || sleep "$left"',
  ].join('; ');
}

function sectionsOf(stdout: string): Array<{ head: string[]; raw: string; lines: string[] }> {
  const out: Array<{ head: string[]; raw: string; lines: string[] }> = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith('@@')) out.push({ head: line.slice(2).trim().split(/\s+/), raw: line, lines: [] });
    else if (out.length && line !== '') out[out.length - 1]!.lines.push(line);
  }
  return out;
}

/** `addons`: those the command was built for (du and df name their data directories, not the add-ons). */
export function parseProbe(stdout: string, addons: readonly ProbedAddon[]): ProbeAnswer {
  const answer: ProbeAnswer = {
    cgroupVersion: 2, containers: new Map(), memory: new Map(), cpu: [new Map(), new Map()],
    diskUsage: new Map(), filesystem: new Map(), guard: new Map(), pitrInfo: new Map(),
  };
  const byDir = new Map(addons.map((a) => [`${a.dataDir}/pgdata`, a.name]));
  const clock: [bigint | null, bigint | null] = [null, null];
  for (const { head, raw, lines } of sectionsOf(stdout)) {
    const [tag, ...rest] = head;
    if (tag === 'cgroup') answer.cgroupVersion = rest[0] === '1' ? 1 : 2;
    else if (tag === 'container') {
      const c = JSON.parse(raw.slice('@@container '.length)) as ProbedContainer;
      if (c.addon) answer.containers.set(c.addon, c);
    } else if (tag === 'memory') {
      answer.memory.set(rest[0]!, Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1).trim()])));
    } else if ((tag === 'clock0' || tag === 'clock1') && /^\d+$/.test(rest[0] ?? '')) clock[tag === 'clock0' ? 0 : 1] = BigInt(rest[0]!);
    else if (tag === 'cpu0' || tag === 'cpu1') {
      const i = tag === 'cpu0' ? 0 : 1;
      const [addon, usage] = rest;
      if (addon && clock[i] !== null && /^\d+$/.test(usage ?? '')) answer.cpu[i].set(addon, { atNs: clock[i]!, usageNs: BigInt(usage!) });
    } else if (tag === 'du') {
      for (const l of lines) {
        const m = /^(\d+)\t(.+)$/.exec(l);
        const addon = m && byDir.get(m[2]!);
        if (addon) answer.diskUsage.set(addon, Number(m[1]));
      }
    } else if (tag === 'df') {
      for (const l of lines) {
        const m = /^\s*(\d+)\s+(\d+)\s+(.+)$/.exec(l);
        const addon = m && byDir.get(m[3]!);
        if (addon) answer.filesystem.set(addon, { size: Number(m[1]), free: Number(m[2]) });
      }
    } else if (tag === 'guard' && lines.length) {
      answer.guard.set(rest[0]!, Object.fromEntries(lines.filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])));
    } else if (tag === 'pitr') answer.pitrInfo.set(rest[0]!, { ok: rest[1] === 'ok', text: lines.join('\n') });
  }
  return answer;
}
