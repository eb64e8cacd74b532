import { DateTime } from 'luxon';
import { drillAddon, type DrillResult } from '../../drill/run.js';
import { err, out } from '../terminal.js';
import { openSession } from '../session.js';

// `dbform backups drill ADDON`: restores the add-on's latest backups into scratch instances on its host,
// checks and times them, and records the outcome (drill/run.ts). Exit 0 when every check passed, 1 otherwise.

export interface DrillOptions {
  file: string;
  addon: string;
  format?: 'text' | 'json';
}

function text(r: DrillResult, zone: string): string {
  const { record } = r;
  const when = DateTime.fromISO(record.startedAt).setZone(zone).toFormat('yyyy-MM-dd HH:mm:ss ZZZZ');
  const lines = [`Drill of ${record.addon} on ${record.host}, ${when}:`];
  record.checks.forEach((c, i) => {
    const what = c.kind === 'logical' ? 'Logical' : 'Point in time';
    if (!c.ok) {
      lines.push(`  ${what}: ${c.source}: FAILED after ${c.seconds.toFixed(1)} s: ${c.error}`);
      return;
    }
    lines.push(`  ${what}: ${c.source}: restored, started and read in ${c.seconds.toFixed(1)} s (RTO): ${c.tables} tables, ${c.rows} rows`);
    for (const t of r.counts[i] ?? []) lines.push(`    ${t.database}: ${t.table}: ${t.rows} rows`);
  });
  lines.push(record.ok ? 'Drill passed; its scratch instances are removed.' : 'Drill FAILED; its scratch instances are removed.');
  lines.push('error' in r.stored ? r.stored.error : `Recorded as ${r.stored.key} in ${r.stored.where}.`);
  return lines.join('\n');
}

function json(r: DrillResult): unknown {
  return {
    ...r.record,
    checks: r.record.checks.map((c, i) => ({ ...c, table_rows: (r.counts[i] ?? []).map((t) => ({ database: t.database, table: t.table, rows: t.rows })) })),
    stored: 'key' in r.stored ? { key: r.stored.key, where: r.stored.where } : { error: r.stored.error },
  };
}

export async function drillCommand(opts: DrillOptions): Promise<number> {
  const session = await openSession(opts.file, (m) => err(`Warning: ${m}`), undefined, 'read');
  try {
    const result = await drillAddon({
      config: session.config,
      hosts: session.hosts,
      masterKey: session.masterKey,
      addon: opts.addon,
      progress: (m) => err(`  [${opts.addon}] ${m}`),
    });
    out(opts.format === 'json' ? JSON.stringify(json(result), null, 2) : text(result, session.config.defaults.timezone));
    return result.record.ok && 'key' in result.stored ? 0 : 1;
  } finally {
    await session.close();
  }
}
