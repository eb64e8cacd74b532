import type pg from 'pg';
import { DBFORM_APPLICATION_NAME } from '../hosts/host.js';

// `dbform queries ADDON`: the add-on's sessions from pg_stat_activity (dbform's own, named by their
// application_name, left out), as plain data and as a table. Idle sessions are left out unless asked for, as
// the seeds' toggle does; a session idle in a transaction is always shown (it holds locks). Query texts are shortened and any password
// literal in them is masked: they are shown to whoever runs status or opens the dashboard.

export const QUERIES_SQL = `SELECT pid, usename AS "user", datname AS database, host(client_addr) AS client,
  application_name, state, wait_event_type, wait_event, left(query, 2000) AS query,
  extract(epoch FROM clock_timestamp() - CASE WHEN state = 'active' THEN query_start ELSE coalesce(state_change, backend_start) END)::float8 AS duration
FROM pg_stat_activity
WHERE backend_type = 'client backend' AND application_name IS DISTINCT FROM '${DBFORM_APPLICATION_NAME}'
ORDER BY backend_start, pid`;

export interface Session {
  pid: number;
  user: string | null;
  database: string | null;
  /** Client address, null for a local socket. */
  client: string | null;
  application: string;
  state: string | null;
  /** Seconds: how long the current query has run (active), or the session has been in its state. */
  durationSeconds: number | null;
  waitEvent: string | null;
  query: string;
}

interface Row {
  pid: number;
  user: string | null;
  database: string | null;
  client: string | null;
  application_name: string | null;
  state: string | null;
  wait_event_type: string | null;
  wait_event: string | null;
  query: string | null;
  duration: number | null;
}

const QUERY_CHARS = 500;

/** Masks password literals (CREATE/ALTER ROLE ... PASSWORD '...') and shortens a query to one line. */
export function shortenQuery(query: string, max = QUERY_CHARS): string {
  const one = query
    .replace(/(password\s+)(E?'(?:[^']|'')*')/gi, "$1'***'")
    .replace(/\s+/g, ' ')
    .trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Pure: pg_stat_activity rows -> sessions; idle ones only when `idle` is asked for. */
export function sessions(rows: readonly Row[], idle: boolean): Session[] {
  return rows
    .filter((r) => idle || r.state !== 'idle')
    .map((r) => ({
      pid: r.pid,
      user: r.user,
      database: r.database,
      client: r.client,
      application: r.application_name ?? '',
      state: r.state,
      durationSeconds: r.duration === null ? null : Math.round(r.duration * 10) / 10,
      waitEvent: r.wait_event_type ? `${r.wait_event_type}:${r.wait_event ?? ''}` : null,
      query: shortenQuery(r.query ?? ''),
    }));
}

export async function readSessions(client: pg.Client, idle: boolean): Promise<Session[]> {
  return sessions((await client.query<Row>(QUERIES_SQL)).rows, idle);
}

function duration(s: number | null): string {
  if (s === null) return '-';
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A table for a terminal; the query column is cut to fit `width`. */
export function sessionsText(list: readonly Session[], width = 160): string {
  if (!list.length) return 'No running queries.';
  const head = ['PID', 'USER', 'CLIENT', 'STATE', 'DURATION', 'WAIT', 'QUERY'];
  const body = list.map((s) => [String(s.pid), s.user ?? '-', s.client ?? 'local', s.state ?? '-', duration(s.durationSeconds), s.waitEvent ?? '-', s.query]);
  const widths = head.slice(0, -1).map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const used = widths.reduce((n, w) => n + w + 2, 0);
  const room = Math.max(20, width - used);
  return [head, ...body]
    .map((r) => [...r.slice(0, -1).map((c, i) => c.padEnd(widths[i]!)), r[r.length - 1]!.length > room ? `${r[r.length - 1]!.slice(0, room - 1)}…` : r[r.length - 1]!].join('  ').trimEnd())
    .join('\n');
}
