import type { Readable } from 'node:stream';
import type pg from 'pg';

// What dbform needs from a database host. Gather uses exec/readonly commands and sql; only apply
// writes. Implementations: local (this machine) and ssh (ssh2, one connection per run).

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Bytes written to the command's stdin (how secrets reach a host: never argv, never env). A stream is piped
   *  with backpressure (a restore's dump: memory stays flat); if it fails, the command's stdin is closed. */
  stdin?: string | Buffer | Readable;
  timeoutMs?: number;
}

export interface PgLogin {
  port: number;
  user: string;
  password: string;
  database: string;
}

/** A command kept running on a host while dbform holds its stdin open (the host lock). */
export interface HeldCommand {
  /** Resolves with the command's first line of output, or with its exit when it ends before printing one. */
  firstLine: Promise<{ line: string } | { exit: number; output: string }>;
  /** Closes the command's stdin (it then ends) and waits for it to exit. */
  release(): Promise<void>;
}

export interface StreamedCommand {
  stdout: import('node:stream').Readable;
  /** Exit code and the end of stderr, once the command ends. */
  done: Promise<{ code: number; stderr: string }>;
}

export interface Host {
  readonly name: string;
  /** Address clients use to reach add-ons on this host (DATABASE_URL). */
  readonly clientAddress: string;
  /** Runs a shell command line on the host (already quoted with shq). Never throws on non-zero exit. */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Starts a command that lives as long as this dbform process: its stdin is a pipe (local) or an SSH
   * channel that closes when dbform exits or is killed, so whatever it holds is released with it.
   */
  hold(command: string): HeldCommand;
  /** Runs a command whose output is streamed, not buffered (downloads of large files). */
  stream(command: string): StreamedCommand;
  /** Opens a PostgreSQL connection to an add-on listening on the host's loopback. */
  connectPg(login: PgLogin): Promise<pg.Client>;
  close(): Promise<void>;
}

export const DBFORM_APPLICATION_NAME = 'dbform';

/** Connection settings of dbform's own SQL sessions: always to the host's loopback, where only the
 *  superuser is let in (pg_hba), either directly (local) or through the SSH connection. */
export function pgConfig(login: PgLogin): pg.ClientConfig {
  return {
    host: '127.0.0.1',
    port: login.port,
    user: login.user,
    password: login.password,
    database: login.database,
    // Names dbform's own sessions in pg_stat_activity: status and queries leave them out of what they count.
    application_name: DBFORM_APPLICATION_NAME,
    connectionTimeoutMillis: 10_000,
  };
}

/** exec that throws a message naming the host and what was being done when the command fails. */
export async function run(host: Pick<Host, 'name' | 'exec'>, what: string, command: string, opts?: ExecOptions): Promise<string> {
  const r = await host.exec(command, opts);
  if (r.code !== 0) {
    const detail = (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n');
    throw new Error(`host ${host.name}: ${what} failed (exit ${r.code}): ${detail}`);
  }
  return r.stdout;
}
