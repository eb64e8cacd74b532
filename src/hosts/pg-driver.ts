import type pg from 'pg';

// The PostgreSQL driver, loaded once, when a host connection is ready: a command over SSH then loads it
// while it waits for the host's first answer, instead of before its SSH handshake (about 40 ms of a
// `dbform status`). Nothing else of dbform loads the driver's index at start-up (util/sql.ts).
let driver: Promise<typeof pg> | undefined;

export function pgDriver(): Promise<typeof pg> {
  driver ??= import('pg').then((m) => m.default);
  return driver;
}
