// Pure: a container's cgroup files, as the host probe printed them ("FILE VALUE" lines), turned into
// figures. cgroup v2 (Debian 12 and most current hosts) and v1 (older kernels, some sandboxes) name the same
// things differently: v2 memory.current / memory.peak / memory.max / memory.swap.current and cpu.stat's
// usage_usec; v1 memory.usage_in_bytes / memory.max_usage_in_bytes / memory.limit_in_bytes, swap only as
// memsw (memory + swap, when swap accounting is on) and cpuacct.usage in nanoseconds.

export interface MemoryFigures {
  /** In use, less the inactive file cache the kernel reclaims first (what `docker stats` calls usage). */
  current: number | null;
  /** Highest use since the container started (v2: memory.peak, kernel 5.19+; v1: max_usage_in_bytes). */
  peak: number | null;
  limit: number | null;
  free: number | null;
  swapCurrent: number | null;
  swapLimit: number | null;
}

/** Above this a limit means "none" (v1 writes 2^63 rounded down to a page; v2 writes "max"). */
const UNLIMITED = 2 ** 60;

function num(v: string | undefined): number | null {
  if (v === undefined || v === 'max' || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function limit(v: string | undefined): number | null {
  const n = num(v);
  return n === null || n >= UNLIMITED ? null : n;
}

const minus = (a: number | null, b: number | null): number | null => (a === null ? null : Math.max(0, a - (b ?? 0)));

export function memoryFigures(files: Record<string, string>, cgroupVersion: 1 | 2): MemoryFigures {
  if (cgroupVersion === 2) {
    const current = minus(num(files['memory.current']), num(files['inactive_file']));
    const lim = limit(files['memory.max']);
    return {
      current,
      peak: num(files['memory.peak']),
      limit: lim,
      free: lim === null || current === null ? null : Math.max(0, lim - current),
      swapCurrent: num(files['memory.swap.current']),
      swapLimit: limit(files['memory.swap.max']),
    };
  }
  const usage = num(files['memory.usage_in_bytes']);
  const current = minus(usage, num(files['total_inactive_file']));
  const lim = limit(files['memory.limit_in_bytes']);
  const memsw = num(files['memory.memsw.usage_in_bytes']);
  const memswLimit = limit(files['memory.memsw.limit_in_bytes']);
  return {
    current,
    peak: num(files['memory.max_usage_in_bytes']),
    limit: lim,
    free: lim === null || current === null ? null : Math.max(0, lim - current),
    swapCurrent: memsw === null || usage === null ? null : Math.max(0, memsw - usage),
    swapLimit: memswLimit === null || lim === null ? null : Math.max(0, memswLimit - lim),
  };
}

export interface CpuReading {
  /** Host clock, nanoseconds. */
  atNs: bigint;
  /** CPU time the container used since it started, nanoseconds. */
  usageNs: bigint;
}

/** Share of one CPU used between two readings (100 = one core busy the whole time). */
export function cpuPercent(first: CpuReading | undefined, second: CpuReading | undefined): number | null {
  if (!first || !second) return null;
  const elapsed = Number(second.atNs - first.atNs);
  const used = Number(second.usageNs - first.usageNs);
  if (elapsed <= 0 || used < 0) return null;
  return Math.round((used / elapsed) * 1000) / 10;
}
