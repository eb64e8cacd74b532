import { collectStatus } from '../../status/collect.js';
import { prometheusText } from '../../status/prometheus.js';
import { err } from '../terminal.js';
import { redact } from '../../util/redact.js';
import { openSession } from '../session.js';

// `dbform metrics`: one sample of every status figure, in the Prometheus text exposition format (for a
// textfile collector or a cron job; the dashboard serves the same at /metrics for a Prometheus to scrape).

export async function metricsCommand(file: string): Promise<number> {
  const session = await openSession(file, (m) => err(`Warning: ${m}`), undefined, 'read');
  try {
    const s = await collectStatus(session, { drift: true });
    process.stdout.write(redact(prometheusText(s)));
    for (const [host, e] of Object.entries(s.hostErrors)) err(`Error: host ${host}: ${e}`);
    return Object.keys(s.hostErrors).length ? 1 : 0;
  } finally {
    await session.close();
  }
}
