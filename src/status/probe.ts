import { ADDON_LABEL, MANAGED_LABEL } from '../resources/container/gather.js';
import { HA_ADDON_LABEL, HA_LABEL } from '../resources/ha/run-container.js';
import { containerName } from '../resources/desired.js';
import { shq } from '../util/shell.js';
import type { CpuReading } from './cgroup.js';
import { PROBE_AWK } from './probe-awk.js';

// What `dbform status` runs on a host, in two commands. The first (sent with the drift check's first reads, in
// one exec): the managed containers (one `docker inspect`), each one's cgroup files found through its main
// process (/proc/PID/cgroup, so any cgroup driver and parent works) and a first CPU reading. The second, sent
// on its own when the first answer is back, runs while the catalogs are read: the size on disk of each add-on's
// data directory and its filesystem, for add-ons with PITR `pgbackrest info` in the running container, and the
// second CPU reading, once the sampling window since the first has passed on the host (a `sleep` in the first
// command, and its `du`, held back every read batched with it). Both only read: no file is written, no
// container is created. The commands are built and their answers (concatenated) read by pure functions, so
// the unit tests run on recorded answers.

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
  /** add-on -> the disk-full guard's status file (KEY=VALUE lines), when it has run. */
  guard: Map<string, Record<string, string>>;
  /** add-on -> `pgbackrest info --output=json`, or why it failed. */
  pitrInfo: Map<string, { ok: boolean; text: string }>;
}

/** The add-on a container belongs to: a single instance's label, else a highly available member's. */
const ADDON_OF = `{{with index .Config.Labels "${ADDON_LABEL}"}}{{.}}{{else}}{{index .Config.Labels "${HA_ADDON_LABEL}"}}{{end}}`;
const INSPECT_FORMAT =
  `{{.State.Pid}} ${ADDON_OF} ` +
  `{"addon":{{with index .Config.Labels "${ADDON_LABEL}"}}{{json .}}{{else}}{{json (index .Config.Labels "${HA_ADDON_LABEL}")}}{{end}},"status":{{json .State.Status}},"running":{{.State.Running}},` +
  `"memory":{{.HostConfig.Memory}},"startedAt":{{json .State.StartedAt}},"image":{{json .Config.Image}}}`;

/** The inspect lines through the awk program: one process for every container's cgroup files. */
const awkPass = (mode: string) => `printf '%s\\n' "$info" | awk -v v="$v" -v mode=${mode} ${shq(PROBE_AWK)}`;

/** The first command: the containers, their memory files and the first CPU reading. */
export function probeCommand(): string {
  const head = 'v=1; [ -f /sys/fs/cgroup/cgroup.controllers ] && v=2; echo "@@cgroup $v"';
  // Single instances and the Patroni members of highly available add-ons (not their gateways), in one listing.
  const listing = `docker ps -a --format '{{.ID}}:{{.Label "${MANAGED_LABEL}"}}:{{.Label "${HA_LABEL}"}}'`;
  const list = `all=$(${listing}) || exit 3; ids=$(printf '%s\\n' "$all" | awk -F: '$2 == "true" || $3 == "patroni" { print $1 }'); info=''; [ -z "$ids" ] || info=$(docker inspect -f ${shq(INSPECT_FORMAT)} $ids) || exit 3`;
  // The processes whose cgroups the second command reads again.
  const pids = 'echo @@pids; printf \'%s\\n\' "$info" | while read -r pid addon rest; do [ "${pid:-0}" = 0 ] || echo "$pid $addon"; done';
  return [head, list, awkPass('memory'), 'echo "@@clock0 $(date +%s%N)"', awkPass('cpu0'), pids, 'true'].join('\n');
}

/** The second command, from the first one's answer: the data directories' size on disk and filesystem, the
 *  disk-full guard's status, `pgbackrest info` in the running containers with PITR, and then, once
 *  `sampleSeconds` have passed on the host since the first CPU reading (its clock0), the second reading of the
 *  same processes' cgroups (none without a first reading or a running container). */
export function secondProbeCommand(addons: readonly ProbedAddon[], firstAnswer: string, sampleSeconds = 0.2): string {
  // One du and one df for every data directory (df's "file" column names the directory; du's last column too).
  const dirs = addons.map((a) => shq(`${a.dataDir}/pgdata`)).join(' ');
  const disk = addons.length ? [`echo @@du; du -s -B1 ${dirs} 2>/dev/null`, `echo @@df; df -B1 --output=size,avail,file ${dirs} 2>/dev/null`] : [];
  // The disk-full guard's last word (diskguard/settings.ts: beside the add-on's directory, in .diskguard/NAME).
  const guard = addons.map((a) => `echo ${shq(`@@guard ${a.name}`)}; cat ${shq(`${a.dataDir.slice(0, -a.name.length)}.diskguard/${a.name}/status`)} 2>/dev/null`);
  // Only in a running container (docker exec would fail): the first answer says which ones run.
  const first = parseProbe(firstAnswer, addons);
  const pitr = addons.filter((a) => a.pitr && first.containers.get(a.name)?.running).map((a) => {
    const info = ['docker', 'exec', '-u', 'postgres', containerName(a.name), 'pgbackrest', `--stanza=${a.name}`, '--log-level-console=error', '--log-level-file=off', 'info', '--output=json'];
    return `if out=$(${info.map(shq).join(' ')} 2>&1); then echo "@@pitr ${a.name} ok"; else echo "@@pitr ${a.name} failed"; fi; printf '%s\\n' "$out" | head -c 1000000`;
  });
  return [...disk, ...guard, ...pitr, ...cpuSecondReading(firstAnswer, sampleSeconds), 'true'].join('\n');
}

/** Waits on the host until the window since the first reading has passed, then reads the cgroups again. */
function cpuSecondReading(firstAnswer: string, sampleSeconds: number): string[] {
  const sections = sectionsOf(firstAnswer);
  const clock0 = sections.find((s) => s.head[0] === 'clock0')?.head[1];
  const pids = sections.find((s) => s.head[0] === 'pids')?.lines.filter((l) => /^\d+ \S+$/.test(l)) ?? [];
  if (!clock0 || !/^\d+$/.test(clock0) || !pids.length) return [];
  const v = sections.find((s) => s.head[0] === 'cgroup')?.head[1] === '1' ? 1 : 2;
  const until = BigInt(clock0) + BigInt(Math.round(sampleSeconds * 1e9));
  // "PID ADDON -": the awk program's input lines (it reads the JSON only for the memory pass).
  const info = pids.map((l) => `${l} -`).join('\n');
  return [
    `v=${v}; info=${shq(info)}`,
    `left=$((${until} - $(date +%s%N))); if [ "$left" -gt 0 ]; then sleep "$((left / 1000000000)).$(printf %09d $((left % 1000000000)))"; fi`,
    'echo "@@clock1 $(date +%s%N)"', awkPass('cpu1'),
  ];
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
