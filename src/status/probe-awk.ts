// The awk program of the host probe (probe.ts). It reads the `docker inspect` lines ("PID ADDON JSON") on
// stdin and, in one process for every container (a fork per file read would cost more than the reads), finds
// each container's cgroup through /proc/PID/cgroup and prints:
//   mode=memory  "@@container JSON", then "@@memory ADDON" and "FILE VALUE" lines (memory files, inactive_file)
//   mode=cpu0|1  "@@cpu0 ADDON NANOSECONDS" (CPU time used since the container started)
// getline on a file that does not exist returns -1 (no error), so absent files (memory.peak before kernel
// 5.19, memsw without swap accounting) are simply left out. `v` is the cgroup version, 1 or 2; `root` is empty
// on a host (the unit tests point it at a directory laid out like /proc and /sys/fs/cgroup).

const MEMORY_FILES = [
  'memory.current', 'memory.peak', 'memory.max', 'memory.swap.current', 'memory.swap.max',
  'memory.usage_in_bytes', 'memory.max_usage_in_bytes', 'memory.limit_in_bytes', 'memory.memsw.usage_in_bytes', 'memory.memsw.limit_in_bytes',
];

export const PROBE_AWK = `
function dir(pid, ctrl,   f, line, p, c, k, i, out) {
  f = root "/proc/" pid "/cgroup"; out = ""
  while ((getline line < f) > 0) {
    split(line, p, ":")
    if (v == 2 && p[1] == "0") out = root "/sys/fs/cgroup" p[3]
    if (v == 1) { k = split(p[2], c, ","); for (i = 1; i <= k; i++) if (c[i] == ctrl) out = root "/sys/fs/cgroup/" ctrl p[3] }
  }
  close(f); return out
}
function first(file,   line) { line = ""; if ((getline line < file) <= 0) line = ""; close(file); return line }
BEGIN { n = split("${MEMORY_FILES.join(' ')}", files, " ") }
NF >= 3 {
  pid = $1; addon = $2; json = $0; sub(/^[^ ]+ [^ ]+ /, "", json)
  if (mode == "memory") print "@@container " json
  if (pid == 0) next
  if (mode == "memory") {
    d = dir(pid, "memory"); print "@@memory " addon
    for (i = 1; i <= n; i++) { x = first(d "/" files[i]); if (x != "") print files[i], x }
    f = d "/memory.stat"
    while ((getline line < f) > 0) if (line ~ /^(total_)?inactive_file /) print line
    close(f)
  } else if (v == 2) {
    f = dir(pid, "") "/cpu.stat"; u = ""
    while ((getline line < f) > 0) { split(line, p, " "); if (p[1] == "usage_usec") u = p[2] "000" }
    close(f); if (u != "") print "@@" mode " " addon " " u
  } else {
    u = first(dir(pid, "cpuacct") "/cpuacct.usage"); if (u != "") print "@@" mode " " addon " " u
  }
}`;
