import { registerSecret } from '../util/redact.js';
import type { Point } from './history.js';

// With `dashboard --prometheus URL`, the charts' history comes from a Prometheus server that scrapes dbform's
// metrics (ours or `dbform metrics` through a textfile collector), so it covers more than what this process
// saw. One query_range per charted figure; mergePoints (pure) lines the answers up by time. The URL may hold
// credentials: it is only used from here, never sent to the browser, and its password is redacted.

type Field = Exclude<keyof Point, 't'>;

const QUERIES: Record<Field, (addon: string) => string> = {
  cpuPercent: (a) => `100 * dbform_addon_cpu_ratio{addon="${a}"}`,
  memoryBytes: (a) => `dbform_addon_memory_bytes{addon="${a}"}`,
  memoryLimitBytes: (a) => `dbform_addon_memory_limit_bytes{addon="${a}"}`,
  swapBytes: (a) => `dbform_addon_swap_bytes{addon="${a}"}`,
  dataBytes: (a) => `dbform_addon_data_size_bytes{addon="${a}"}`,
  diskBytes: (a) => `dbform_addon_disk_usage_bytes{addon="${a}"}`,
  connections: (a) => `dbform_addon_connections{addon="${a}"}`,
};

/** A query_range answer: `data.result[].values` are [unix seconds, "value"] pairs. */
export interface RangeAnswer {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
}

/** Pure: one answer per figure -> points by time (the first series of each; a member label picks the primary). */
export function mergePoints(answers: Partial<Record<Field, RangeAnswer>>): Point[] {
  const byTime = new Map<number, Point>();
  for (const [field, answer] of Object.entries(answers) as Array<[Field, RangeAnswer]>) {
    if (answer.status !== 'success') throw new Error(`Prometheus answered ${answer.status}: ${answer.error ?? ''}`);
    for (const [t, v] of answer.data?.result[0]?.values ?? []) {
      const p = byTime.get(t) ?? { t, cpuPercent: null, memoryBytes: null, memoryLimitBytes: null, swapBytes: null, dataBytes: null, diskBytes: null, connections: null };
      const n = Number(v);
      p[field] = Number.isFinite(n) ? n : null;
      byTime.set(t, p);
    }
  }
  return [...byTime.values()].sort((a, b) => a.t - b.t);
}

export function prometheusSource(base: string): (addon: string, spanSeconds: number, stepSeconds: number) => Promise<Point[]> {
  const url = new URL(base);
  registerSecret(decodeURIComponent(url.password));
  const auth = url.username ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}` : undefined;
  url.username = '';
  url.password = '';
  return async (addon, spanSeconds, stepSeconds) => {
    if (!/^[a-z0-9-]+$/.test(addon)) throw new Error(`not an add-on name: ${addon}`);
    const end = Date.now() / 1000;
    const answers = await Promise.all(
      (Object.keys(QUERIES) as Field[]).map(async (field) => {
        const q = new URL('api/v1/query_range', url.href.endsWith('/') ? url : `${url.href}/`);
        q.search = new URLSearchParams({ query: QUERIES[field](addon), start: String(end - spanSeconds), end: String(end), step: String(stepSeconds) }).toString();
        const r = await fetch(q, { headers: auth ? { authorization: auth } : {}, signal: AbortSignal.timeout(10_000) });
        return [field, (await r.json()) as RangeAnswer] as const;
      }),
    );
    return mergePoints(Object.fromEntries(answers));
  };
}
