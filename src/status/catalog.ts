import type pg from 'pg';
import { DBFORM_APPLICATION_NAME } from '../hosts/host.js';
import { parseArchiver, type ArchiverStats } from '../resources/pitr/info.js';

// What `dbform status` reads from an add-on's own catalog, in one query on one connection (as the superuser,
// to the `postgres` database, through the host like gather's catalog read): connections, the server's
// version and role (and a replica's delay, in seconds and bytes), the logical size of its databases and pg_stat_archiver. Read-only. dbform's own sessions
// (this one, a concurrent drift check's, a dashboard's) are not counted as connections.

export const STATUS_SQL = `SELECT
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name IS DISTINCT FROM '${DBFORM_APPLICATION_NAME}')::int AS connections,
  current_setting('max_connections')::int AS max_connections,
  current_setting('server_version') AS server_version,
  pg_is_in_recovery() AS in_recovery,
  (SELECT coalesce(sum(pg_database_size(oid)), 0) FROM pg_database WHERE NOT datistemplate)::bigint AS data_size,
  (SELECT row_to_json(a) FROM pg_stat_archiver a)::text AS archiver,
  CASE WHEN pg_is_in_recovery() THEN
    CASE WHEN pg_last_wal_receive_lsn() IS NOT NULL AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END
  END AS lag_seconds,
  CASE WHEN pg_is_in_recovery() THEN
    pg_wal_lsn_diff(GREATEST(pg_last_wal_receive_lsn(), (SELECT latest_end_lsn FROM pg_stat_wal_receiver)), pg_last_wal_replay_lsn())::bigint
  END AS lag_bytes`;

export interface CatalogFigures {
  connections: number;
  maxConnections: number;
  serverVersion: string;
  inRecovery: boolean;
  dataSize: number;
  archiver: ArchiverStats | null;
  /** A replica's delay: 0 when it has replayed all it received, else the age of the last transaction it
   *  replayed; null on a primary (or before a replica replayed anything). */
  lagSeconds: number | null;
  /** A replica's WAL not replayed yet, in bytes: up to the primary's position as it last heard it (sent with
   *  every message, keepalives included) or what it received if that is further; null on a primary. */
  lagBytes: number | null;
}

interface Row {
  connections: number;
  max_connections: number;
  server_version: string;
  in_recovery: boolean;
  data_size: string | number;
  archiver: string | null;
  lag_seconds?: number | null;
  lag_bytes?: string | number | null;
}

/** Pure: the query's row (as pg returns it: bigint as a string) -> figures. */
export function catalogFigures(row: Row): CatalogFigures {
  return {
    connections: Number(row.connections),
    maxConnections: Number(row.max_connections),
    serverVersion: row.server_version,
    inRecovery: row.in_recovery,
    dataSize: Number(row.data_size),
    archiver: row.archiver ? parseArchiver(row.archiver) : null,
    lagSeconds: row.lag_seconds === null || row.lag_seconds === undefined ? null : Math.max(0, Math.round(Number(row.lag_seconds) * 1000) / 1000),
    lagBytes: row.lag_bytes === null || row.lag_bytes === undefined ? null : Math.max(0, Number(row.lag_bytes)),
  };
}

export async function readCatalogFigures(client: pg.Client): Promise<CatalogFigures> {
  const res = await client.query<Row>(STATUS_SQL);
  return catalogFigures(res.rows[0]!);
}
