import type { PlanCheck } from '../status/collect.js';
import type { FleetStatus } from '../status/model.js';
import { History } from './history.js';

// Samples the fleet's status every `intervalSeconds` while the dashboard runs (one sample at a time: a slow
// fleet delays the next one rather than piling them up), checks drift at most every `driftEverySeconds`, and
// keeps the charted figures for `spanSeconds`, and the plan of the last drift check (the page's "last plan
// against the file": the same gather, not a second one). Sampling reads only: no host lock, no write.

/** A sample; `plan` is the drift check's plan when drift was checked, null otherwise. */
export type Collect = (drift: boolean) => Promise<{ status: FleetStatus; plan: PlanCheck | null }>;

export class Sampler {
  readonly history: History;
  private latestStatus: FleetStatus | null = null;
  private latestPlan: PlanCheck | null = null;
  private timer: NodeJS.Timeout | undefined;
  private driftAt = 0;
  private stopped = false;
  private first: Promise<void> | undefined;

  constructor(
    private readonly collect: Collect,
    readonly intervalSeconds: number,
    spanSeconds: number,
    private readonly driftEverySeconds = 60,
    private readonly onError: (e: Error) => void = () => undefined,
  ) {
    this.history = new History(Math.max(2, Math.ceil(spanSeconds / intervalSeconds)));
  }

  /** Takes the first sample (the page has figures from its first load), then one every interval. */
  start(): Promise<void> {
    this.first ??= this.sample();
    return this.first;
  }

  latest(): FleetStatus | null {
    return this.latestStatus;
  }

  /** The plan of the last drift check, or null before the first one. */
  lastPlan(): PlanCheck | null {
    return this.latestPlan;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async sample(): Promise<void> {
    const drift = Date.now() - this.driftAt >= this.driftEverySeconds * 1000;
    try {
      const { status: s, plan } = await this.collect(drift);
      if (drift) this.driftAt = Date.now();
      if (plan) this.latestPlan = plan;
      if (!drift) for (const a of s.addons) a.drift = this.latestStatus?.addons.find((p) => p.addon === a.addon)?.drift ?? null;
      this.latestStatus = s;
      this.history.add(s);
    } catch (e) {
      this.onError(e as Error);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.sample(), this.intervalSeconds * 1000);
  }
}
