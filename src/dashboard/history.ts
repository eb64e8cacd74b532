import type { FleetStatus } from '../status/model.js';

// The figures the dashboard charts, sample after sample, kept in memory for a bounded span: at most
// `capacity` samples (span / interval), the oldest dropped first, so memory stays flat however long it runs.

export interface Point {
  /** Seconds since the epoch. */
  t: number;
  cpuPercent: number | null;
  memoryBytes: number | null;
  memoryLimitBytes: number | null;
  swapBytes: number | null;
  dataBytes: number | null;
  diskBytes: number | null;
  connections: number | null;
}

export class History {
  private readonly series = new Map<string, Point[]>();

  constructor(readonly capacity: number) {}

  add(status: FleetStatus): void {
    const t = Date.parse(status.at) / 1000;
    for (const a of status.addons) {
      const m = a.members[0];
      const points = this.series.get(a.addon) ?? [];
      points.push({
        t,
        cpuPercent: m?.cpuPercent ?? null,
        memoryBytes: m?.memory.current ?? null,
        memoryLimitBytes: m?.memory.limit ?? null,
        swapBytes: m?.swap.current ?? null,
        dataBytes: m?.dataSize ?? null,
        diskBytes: m?.diskSize ?? null,
        connections: m?.connections.open ?? null,
      });
      if (points.length > this.capacity) points.splice(0, points.length - this.capacity);
      this.series.set(a.addon, points);
    }
    // An add-on removed from the file stops being charted.
    for (const name of this.series.keys()) if (!status.addons.some((a) => a.addon === name)) this.series.delete(name);
  }

  of(addon: string): Point[] {
    return this.series.get(addon) ?? [];
  }

  size(): number {
    let n = 0;
    for (const p of this.series.values()) n += p.length;
    return n;
  }
}
