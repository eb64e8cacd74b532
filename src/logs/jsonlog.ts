// PostgreSQL's jsonlog lines -> what `dbform logs` prints. Pure. Timestamps are in UTC (log_timezone is
// set to UTC for every add-on), so a line's time is read without guessing a zone abbreviation.

import { redact } from '../util/redact.js';

/** The fields of a jsonlog line dbform reads (PostgreSQL writes more). */
export interface LogEntry {
  timestamp: string;
  error_severity?: string;
  message?: string;
  detail?: string;
  statement?: string;
  user?: string;
  dbname?: string;
  pid?: number;
  backend_type?: string;
}

export interface LogFilter {
  /** Lines before this instant are left out. */
  since?: Date;
  /** Only statements that ran at least this long (the add-on's slow-query threshold). */
  slowerThanMs?: number;
}

/** A jsonlog line, or undefined for anything else (a line cut by rotation, a message of the collector). */
export function parseLogLine(line: string): LogEntry | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as LogEntry;
    return typeof entry.timestamp === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** "2026-11-30 13:45:01.123 UTC" -> the instant (NaN when it is not such a time). */
export function logTime(entry: LogEntry): number {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) (UTC|GMT)$/.exec(entry.timestamp);
  return m ? Date.parse(`${m[1]}T${m[2]}Z`) : Number.NaN;
}

/** "duration: 6006.123 ms  statement: ..." -> 6006.123 (undefined for other messages). */
export function statementMs(entry: LogEntry): number | undefined {
  const m = /^duration: (\d+(?:\.\d+)?) ms/.exec(entry.message ?? '');
  return m ? Number(m[1]) : undefined;
}

export function keep(entry: LogEntry, filter: LogFilter): boolean {
  if (filter.since && !(logTime(entry) >= filter.since.getTime())) return false;
  if (filter.slowerThanMs !== undefined) {
    const ms = statementMs(entry);
    if (ms === undefined || ms < filter.slowerThanMs) return false;
  }
  return true;
}

/** A password literal in a statement a client sent (ALTER ROLE ... PASSWORD '...'), whatever its case. */
const PASSWORD_LITERAL = /(\bPASSWORD\s+)'(?:[^']|'')*'/gi;

/** Masks password literals (a client may send one in clear) and any secret dbform knows of. */
export function maskSecrets(text: string): string {
  return redact(text.replace(PASSWORD_LITERAL, "$1'***'"));
}

/** One line: "2026-11-30 13:45:01.123 UTC [123] app@shop LOG:  message", then DETAIL and STATEMENT. */
export function formatEntry(entry: LogEntry): string {
  const who = entry.user ? ` ${entry.user}@${entry.dbname ?? ''}` : entry.backend_type ? ` ${entry.backend_type}` : '';
  const lines = [`${entry.timestamp} [${entry.pid ?? '?'}]${who} ${entry.error_severity ?? 'LOG'}:  ${entry.message ?? ''}`];
  if (entry.detail) lines.push(`  DETAIL:  ${entry.detail}`);
  if (entry.statement) lines.push(`  STATEMENT:  ${entry.statement}`);
  return maskSecrets(lines.join('\n'));
}
