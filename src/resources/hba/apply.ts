import type { Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { hostPgdata, writeDataFile } from '../data-files.js';

// Installs pg_hba.conf and reloads: new connections follow the new rules at once, open ones are kept.
// A file PostgreSQL cannot parse is reported (PostgreSQL then keeps the previous rules).
const writeHba: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  await writeDataFile(ctx.host, hostPgdata(field<string>(step, 'dataDir', 'string')), 'pg_hba.conf', field<string>(step, 'content', 'string'));
  const client = await ctx.pg(addon, 'postgres');
  await client.query('SELECT pg_reload_conf()');
  const bad = await client.query<{ line_number: number; error: string }>('SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL');
  if (bad.rows.length) {
    throw new Error(`pg_hba.conf of ${addon} was rejected: ${bad.rows.map((r) => `line ${r.line_number}: ${r.error}`).join('; ')}`);
  }
};

export const accessExecutors: Record<string, Executor> = { 'hba.write': writeHba };
