import { once } from 'node:events';
import { accessPolicy } from '../../dashboard/access.js';
import { prometheusSource } from '../../dashboard/prometheus-history.js';
import { Sampler } from '../../dashboard/sampler.js';
import { dashboardServer } from '../../dashboard/server.js';
import { backupsEnabled } from '../../resources/backups/settings.js';
import { addonsOf, withSuperuser } from '../../status/addons.js';
import { collectSample } from '../../status/collect.js';
import { readSessions } from '../../status/queries.js';
import { err, out } from '../terminal.js';
import { openSession } from '../session.js';
import { backupsListing } from './backups.js';
import { listJson } from './backups-pitr.js';

// `dbform dashboard [--listen ADDR:PORT] [--interval SECONDS] [--prometheus URL]`: a read-only web page of the fleet, served
// until interrupted. It samples the status every interval over one set of SSH connections (no host lock, no
// write), keeps an hour of figures in memory for its charts and the plan of its last drift check, and serves
// them with each add-on's backups (read when a page asks) and /metrics (src/dashboard/).

export interface DashboardOptions {
  file: string;
  listen: string;
  intervalSeconds: number;
  /** A Prometheus server scraping dbform's metrics: the charts' history comes from it. */
  prometheus?: string;
}

const SPAN_SECONDS = 3600;

export async function dashboardCommand(opts: DashboardOptions): Promise<number> {
  const policy = accessPolicy(opts.listen, process.env);
  const session = await openSession(opts.file, (m) => err(`Warning: ${m}`), undefined, 'read');
  const sampler = new Sampler((drift) => collectSample(session, { drift }), opts.intervalSeconds, SPAN_SECONDS, 60, (e) => err(`Warning: a sample failed: ${e.message}`));
  const server = dashboardServer({
    policy,
    sampler,
    queries: (name, idle) => withSuperuser(session, addonsOf(session, name)[0]!, (c) => readSessions(c, idle)),
    backups: async (name) => {
      if (!backupsEnabled(addonsOf(session, name)[0]!)) return null;
      const { manifests, pitr } = await backupsListing(session, name);
      return listJson(name, manifests, pitr);
    },
    ...(opts.prometheus ? { prometheus: prometheusSource(opts.prometheus) } : {}),
    webDir: new URL('../../dashboard/web/', import.meta.url),
  });
  try {
    server.listen(policy.listen.port, policy.listen.host);
    await once(server, 'listening');
    const where = policy.listen.host.includes(':') ? `[${policy.listen.host}]:${policy.listen.port}` : `${policy.listen.host}:${policy.listen.port}`;
    // The address is printed once the first sample is in: the page then has figures from its first load.
    await sampler.start();
    out(`Dashboard: http://${where}/ (${policy.token ? 'token required' : 'loopback only'}); sampling every ${opts.intervalSeconds} s. Ctrl-C stops it.`);
    await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
    return 0;
  } finally {
    sampler.stop();
    server.close();
    server.closeAllConnections();
    await session.close();
  }
}
