import type { ApplyContext, Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { issueServerCert } from './server-cert.js';
import { hostPgdata, writeDataFile } from '../data-files.js';

// Issues a server certificate for an add-on with the fleet CA and installs it with the CA certificate
// (root.crt, for `dbform output --ca`). The private key is made here, at apply time, and written only
// into the instance's data directory: it is never in a plan.
export async function installServerCert(ctx: ApplyContext, addon: string, dataDir: string, names: string[]): Promise<void> {
  const { certPem, keyPem } = await issueServerCert(ctx.ca, addon, names);
  const pgdata = hostPgdata(dataDir);
  await writeDataFile(ctx.host, pgdata, 'server.key', keyPem, '600');
  await writeDataFile(ctx.host, pgdata, 'server.crt', certPem, '644');
  await writeDataFile(ctx.host, pgdata, 'root.crt', await ctx.ca.certPem(), '644');
}

const issue: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const names = step.names;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new Error('plan step tls.issue: names must be strings');
  await installServerCert(ctx, addon, field<string>(step, 'dataDir', 'string'), names as string[]);
  // PostgreSQL re-reads its certificate on reload: no restart, no dropped connection.
  await (await ctx.pg(addon, 'postgres')).query('SELECT pg_reload_conf()');
};

export const tlsExecutors: Record<string, Executor> = { 'tls.issue': issue };
