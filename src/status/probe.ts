import { ADDON_LABEL, MANAGED_LABEL } from '../resources/container/gather.js';
import { HA_ADDON_LABEL, HA_LABEL } from '../resources/ha/run-container.js';
import { containerName } from '../resources/desired.js';
import { REPLICA_LABEL } from '../resources/replica/gather.js';
import { shq } from '../util/shell.js';
import type { CpuReading } from './cgroup.js';
import { PROBE_AWK } from './probe-awk.js';

// What `dbform status` runs on a host: one command, sent in the same batch as the drift check's first reads
// (one exec, batched-reads.ts) and behind them (`execLast`), since gather's results are handed back as each of
// its reads ends and the catalog logins that follow them should not wait for this command's sampling window.
// It lists the managed containers (one `docker inspect`), reads each one's cgroup files found through its main
// process (/proc/PID/cgroup, so any cgroup driver and parent works) and a first CPU reading; then the size on
// disk of each add-on's data directory and its filesystem, the disk guard's status, for add-ons with PITR
// `pgbackrest info` in the running container; then, once the sampling window since the first CPU reading has
// passed (the reads in between usually fill it; otherwise it waits for the rest), the second reading. It only
// reads: no file is written, no container is created. The command is built and its answer read by pure
// functions, so the unit tests run on recorded answers.

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

/** The probe: see the top of this file. */
export function probeCommand(addons: readonly ProbedAddon[], sampleSeconds = 0.2): string {
  const listing = `docker ps -a --format '{{.ID}}:{{.Label "${MANAGED_LABEL}"}}:{{.Label "${HA_LABEL}"}}:{{.Label "${REPLICA_LABEL}"}}'`;
  const list = `all=$(${listing}) || exit 3; ids=$(printf '%s\\n' "$all" | ${PROBED_CONTAINERS}); info=''; [ -z "$ids" ] || info=$(docker inspect -f ${shq(INSPECT_FORMAT)} $ids) || exit 3`;
  // One du and one df for every data directory (df's "file" column names the directory; du's last column too).
  const dirs = addons.map((a) => shq(`${a.dataDir}/pgdata`)).join(' ');
  const disk = addons.length ? [`echo @@du; du -s -B1 ${dirs} 2>/dev/null`, `echo @@df; df -B1 --output=size,avail,file ${dirs} 2>/dev/null`] : [];
  // The disk-full guard's last word (diskguard/settings.ts: beside the add-on's directory, in .diskguard/NAME).
  const guard = addons.filter((a) => a.guard !== false).map((a) => `echo ${shq(`@@guard ${a.name}`)}; cat ${shq(`${a.dataDir.slice(0, -a.name.length)}.diskguard/${a.name}/status`)} 2>/dev/null`);
  // Only in a running container (docker exec would fail): one whose main process is in the inspect lines.
  const pitr = addons.filter((a) => a.pitr).map((a) => {
    const info = ['docker', 'exec', '-u', 'postgres', containerName(a.name), 'pgbackrest', `--stanza=${a.name}`, '--log-level-console=error', '--log-level-file=off', 'info', '--output=json'];
    return `if ${isRunning(a.name)}; then if out=$(${info.map(shq).join(' ')} 2>&1); then echo "@@pitr ${a.name} ok"; else echo "@@pitr ${a.name} failed"; fi; printf '%s\\n' "$out" | head -c 1000000; fi`;
  });
  const cpu1 = `if printf '%s\\n' "$info" | awk '$1 != 0 { f = 1 } END { exit !f }'; then ${windowWait(sampleSeconds)}; echo "@@clock1 $(date +%s%N)"; ${awkPass('cpu1')}; fi`;
  return [
    'v=1; [ -f /sys/fs/cgroup/cgroup.controllers ] && v=2; echo "@@cgroup $v"', list, awkPass('memory'),
    'c0=$(date +%s%N); echo "@@clock0 $c0"', awkPass('cpu0'), ...disk, ...guard, ...pitr, cpu1, 'true',
  ].join('\n');
}

/** Shell: whether the inspect lines ("PID KEY JSON") have a running container (a main process) of `key`. */
const isRunning = (key: string) => `printf '%s\\n' "$info" | awk -v a=${shq(key)} '$1 != 0 && $2 == a { f = 1 } END { exit !f }'`;

/** Shell: waits until `sampleSeconds` have passed since the first CPU reading's clock ($c0, nanoseconds), and
 *  says how long it waited. */
export function windowWait(sampleSeconds: number): string {
  const ns = Math.round(sampleSeconds * 1e9);
  return [
    `left=$((c0 + ${ns} - $(date +%s%N))); [ "$left" -gt 0 ] || left=0`,
    'echo "@@wait $left"; [ "$left" = 0 ] || sleep "$((left / 1000000000)).$(printf %09d $((left % 1000000000)))"',
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
