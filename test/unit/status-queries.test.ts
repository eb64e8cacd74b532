import { describe, expect, it } from 'vitest';
import { sessions, sessionsText, shortenQuery } from '../../src/status/queries.js';

// pg_stat_activity rows (as pg returns them) -> what `dbform queries` shows.

const row = (pid: number, state: string | null, query: string, duration: number | null, wait: [string, string] | null = null) => ({
  pid,
  user: 'app',
  database: 'shop',
  client: '10.77.0.1',
  application_name: 'psql',
  state,
  wait_event_type: wait?.[0] ?? null,
  wait_event: wait?.[1] ?? null,
  query,
  duration,
});

const rows = [
  row(101, 'active', 'SELECT pg_sleep(30)', 12.345, ['Timeout', 'PgSleep']),
  row(102, 'idle', 'SELECT 1', 300),
  row(103, 'idle in transaction', 'UPDATE t\n   SET v = 1', 61),
];

describe('queries', () => {
  it('leaves idle sessions out unless asked; idle in transaction always shows', () => {
    expect(sessions(rows, false).map((s) => s.pid)).toEqual([101, 103]);
    expect(sessions(rows, true).map((s) => s.pid)).toEqual([101, 102, 103]);
  });

  it('keeps pid, user, client, state, duration, wait event and a one-line query', () => {
    expect(sessions(rows, false)[0]).toEqual({
      pid: 101, user: 'app', database: 'shop', client: '10.77.0.1', application: 'psql', state: 'active',
      durationSeconds: 12.3, waitEvent: 'Timeout:PgSleep', query: 'SELECT pg_sleep(30)',
    });
    expect(sessions(rows, false)[1]!.query).toBe('UPDATE t SET v = 1');
  });

  it('masks password literals and shortens long queries', () => {
    expect(shortenQuery("ALTER ROLE app PASSWORD 'it''s-secret' VALID UNTIL 'infinity'")).toBe("ALTER ROLE app PASSWORD '***' VALID UNTIL 'infinity'");
    expect(shortenQuery("create user x with password E'abc'")).toBe("create user x with password '***'");
    const long = shortenQuery(`SELECT ${'x, '.repeat(400)}1`);
    expect(long.length).toBe(500);
    expect(long.endsWith('…')).toBe(true);
  });

  it('prints a table, the query cut to the width', () => {
    const text = sessionsText(sessions(rows, false), 100);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^PID\s+USER\s+CLIENT\s+STATE\s+DURATION\s+WAIT\s+QUERY$/);
    expect(lines[1]).toMatch(/^101\s+app\s+10\.77\.0\.1\s+active\s+12\.3 s\s+Timeout:PgSleep\s+SELECT pg_sl/);
    expect(lines[2]).toContain('1 min 1 s');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(sessionsText([], 80)).toBe('No running queries.');
  });
});
