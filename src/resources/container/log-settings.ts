// The PostgreSQL log of every add-on: JSON lines (jsonlog) written by the logging collector into the data
// directory's log/ folder, one file per hour of the day (postgresql-00.json ... postgresql-23.json, and as
// many small postgresql-HH.log files for what the postmaster prints to stderr at start). A file
// is emptied when its hour comes round again (log_truncate_on_rotation), so the folder holds at most 24
// files of each kind, the last day. log_rotation_size starts a new file early within an hour, but PostgreSQL reopens
// the hour's own name (appending), so the real bound is one hour of output per file; at 5 s slow-query
// logging that is small, and `dbform logs` reads only these 24 names.

/** The log folder, relative to pgdata (log_directory), and the name of each hour's file. */
export const LOG_DIRECTORY = 'log';
export const LOG_FILES = Array.from({ length: 24 }, (_, h) => `postgresql-${String(h).padStart(2, '0')}.json`);

/** Settings the logging collector needs; logging_collector itself takes effect only at a restart. */
export function logSettings(slowQueryMs: number): Record<string, string> {
  return {
    logging_collector: 'on',
    log_destination: 'jsonlog',
    log_directory: LOG_DIRECTORY,
    // PostgreSQL names the jsonlog file after this with ".log" replaced by ".json" (postgresql-13.json); the
    // few lines the postmaster writes to stderr before the collector starts go to postgresql-13.log.
    log_filename: 'postgresql-%H.log',
    log_rotation_age: '60',
    log_rotation_size: '10MB',
    log_truncate_on_rotation: 'on',
    log_file_mode: '0600',
    // `dbform logs --since` reads each line's time: UTC, never a zone abbreviation to guess.
    log_timezone: 'UTC',
    log_min_duration_statement: String(slowQueryMs),
  };
}

/**
 * Settings a configuration reload applies. They are not passed as `-c` (a command-line value would
 * override any reload) but set with ALTER SYSTEM, so changing only these needs no restart. Every other
 * container setting is passed as `-c` and changes with a restart.
 */
export const RELOADABLE_SETTINGS: ReadonlySet<string> = new Set(['log_min_duration_statement']);

/** A value ALTER SYSTEM may receive from a plan step: reloadable settings are all integers. */
export function reloadableValue(key: string, value: unknown): string {
  if (!RELOADABLE_SETTINGS.has(key) || typeof value !== 'string' || !/^-?\d{1,10}$/.test(value)) {
    throw new Error(`plan step: ${key}=${String(value)} is not a reloadable setting dbform manages`);
  }
  return value;
}

/** `log_min_duration_statement = '5000'` lines of postgresql.auto.conf -> values of the reloadable settings. */
export function parseAutoConf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([a-z_]+)\s*=\s*'?([^'#]*?)'?\s*$/.exec(line);
    if (m && RELOADABLE_SETTINGS.has(m[1]!)) out[m[1]!] = m[2]!;
  }
  return out;
}
