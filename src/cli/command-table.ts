// Every command the CLI accepts, with its own flags and arguments: the one table that parsing, the
// "does not take" errors and the help texts are all derived from, so they cannot disagree.

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder for the value in usage lines ("FILE"); string flags only. */
  value?: string;
  /** Shown without brackets in usage lines; the command's parser says what is missing. */
  required?: boolean;
  help: string;
}

export interface CommandSpec {
  /** Full name as typed, subcommand included ("backups download"). */
  name: string;
  /** Positional arguments after the name; a name in brackets is optional. */
  args: string[];
  summary: string;
  flags: Record<string, FlagSpec>;
}

/** Flags every command takes. */
export const COMMON_FLAGS: Record<string, FlagSpec> = {
  file: { type: 'string', short: 'f', value: 'FILE', help: 'the config file (default: databases.yaml)' },
  help: { type: 'boolean', short: 'h', help: "print this command's usage" },
};

export const DEFAULT_FILE = 'databases.yaml';

const FORMAT: FlagSpec = { type: 'string', value: 'text|markdown|json', help: 'how to render the plan' };
const BACKUP_ID: FlagSpec = { type: 'string', value: 'ID', help: 'this backup instead of the latest good one (an id from `backups list`)' };

function command(name: string, args: string[], summary: string, flags: Record<string, FlagSpec> = {}): CommandSpec {
  return { name, args, summary, flags };
}

/** Top-level commands; a command with subcommands is looked up by its second word. */
export const COMMANDS: Record<string, CommandSpec | Record<string, CommandSpec>> = {
  validate: command('validate', [], 'check the file; no host is contacted'),
  plan: command('plan', [], 'show what would change, with the hazards of each change', {
    out: { type: 'string', value: 'FILE', help: 'also save the plan (it holds no secret), for `dbform apply FILE`' },
    format: { ...FORMAT, help: 'how to render the plan (default: text)' },
    'detailed-exitcode': { type: 'boolean', help: 'exit 2 when there are changes, 0 when there are none' },
  }),
  drift: command('drift', [], 'exit 2 with a report when the live state differs from the file', {
    format: { ...FORMAT, help: 'how to render the report (default: markdown)' },
  }),
  apply: command('apply', ['[PLANFILE]'], 'make the hosts match the file, or apply exactly a saved plan', {
    'auto-approve': { type: 'boolean', help: 'do not ask for "yes" (for scripts)' },
    'allow-hazards': { type: 'string', value: 'CODE,...', help: 'allow changes with these hazards (apply prints the exact flag)' },
    'lock-timeout': { type: 'string', value: 'SECONDS', help: "wait this long for another apply's host lock (default: 0)" },
    'expect-fingerprint': { type: 'string', value: 'FP', help: 'refuse unless the plan is exactly the reviewed one' },
    'ignore-window': { type: 'boolean', help: 'also run the changes that wait for a closed maintenance window' },
  }),
  logs: command('logs', ['ADDON'], "the add-on's PostgreSQL log, read through its host", {
    since: { type: 'string', value: 'DURATION', help: 'only lines of the last DURATION (30s, 15m, 1h, 2d; default: 1h)' },
    follow: { type: 'boolean', help: 'keep printing new lines as they are written (Ctrl-C stops)' },
    slow: { type: 'boolean', help: 'only statements over the slow-query threshold (logs.slowQueryMs, 5000 ms by default)' },
    host: { type: 'string', value: 'HOST', help: "the log of the cluster member or read replica on HOST (default: the add-on's host, a cluster's first)" },
  }),
  output: command('output', ['ADDON', '[HOST]'], 'connection URLs (DATABASE_URL), or the CA certificate', {
    user: { type: 'string', value: 'NAME', help: "this user's URL instead of the owner's" },
    all: { type: 'boolean', help: 'one URL per user (DATABASE_URL_<USER>=...)' },
    ca: { type: 'boolean', help: "the fleet CA's certificate, for sslmode=verify-full" },
    'read-replica': { type: 'boolean', help: 'the URLs of its read replicas instead (read-only; HOST: only the one on HOST)' },
  }),
  backups: {
    list: command('backups list', ['ADDON'], "the add-on's backups: id, created at, size, kind, status; with PITR on, its window and full base backups", {
      format: { type: 'string', value: 'text|json', help: 'how to print them (default: text)' },
    }),
    create: command('backups create', ['ADDON'], 'take a backup now and wait for it'),
    download: command('backups download', ['ADDON'], 'download and decrypt a backup into a file pg_restore reads', {
      backup: BACKUP_ID,
      out: { type: 'string', value: 'FILE', help: 'where to write it (default: ADDON-ID.dump)' },
    }),
    verify: command('backups verify', ['ADDON'], 'check that a backup is intact and decrypts completely', { backup: BACKUP_ID }),
    drill: command('backups drill', ['ADDON'], 'restore the latest backup and PITR point into scratch instances on its host, check them, record the RTO', {
      format: { type: 'string', value: 'text|json', help: 'how to print the result (default: text)' },
    }),
  },
  restore: command('restore', ['ADDON'], 'restore a logical backup (--backup) or a point in time (--to), in place or --into another add-on; shows what it will do first', {
    backup: { type: 'string', value: 'ID', help: 'the logical backup to restore (an id from `backups list`)' },
    to: { type: 'string', value: 'TIME|latest', help: 'the point in time (PITR): RFC 3339, "YYYY-MM-DD HH:MM:SS" in defaults.timezone, or latest' },
    into: { type: 'string', value: 'ADDON', help: 'restore into this add-on (declared in the file; applied already for --backup, not yet for --to)' },
    format: { type: 'string', value: 'text|json', help: 'with --to: how to print what it did (default: text)' },
    'auto-approve': { type: 'boolean', help: 'do not ask for "yes" (for scripts)' },
    'allow-hazards': { type: 'string', value: 'CODE,...', help: 'allow the hazards restore prints (DATA_LOSS when data is overwritten)' },
    'drop-previous': { type: 'boolean', help: 'remove the replaced database (--backup) or data directory (--to) once the restore succeeded (default: keep it)' },
    'lock-timeout': { type: 'string', value: 'SECONDS', help: "wait this long for another apply's host lock (default: 0)" },
  }),
  status: command('status', ['[ADDON]'], 'CPU, memory, swap, connections, sizes, replication, last backup, PITR window and drift of every add-on (or one)', {
    format: { type: 'string', value: 'text|json', help: 'how to print it (default: text; json is the dashboard API)' },
    watch: { type: 'string', value: 'SECONDS', help: 'sample again every SECONDS until interrupted' },
  }),
  queries: command('queries', ['ADDON'], "the add-on's running queries: pid, user, client, state, duration, wait event, query", {
    idle: { type: 'boolean', help: 'also show idle sessions' },
    format: { type: 'string', value: 'text|json', help: 'how to print them (default: text)' },
    host: { type: 'string', value: 'HOST', help: "the sessions of the cluster member or read replica on HOST (default: the primary's)" },
  }),
  metrics: command('metrics', [], 'every status figure in the Prometheus text exposition format'),
  dashboard: command('dashboard', [], 'a read-only web dashboard of the fleet, with /metrics (loopback only unless DBFORM_DASHBOARD_TOKEN is set)', {
    listen: { type: 'string', value: 'ADDR:PORT', help: 'where to listen (default: 127.0.0.1:8484); beyond loopback needs DBFORM_DASHBOARD_TOKEN' },
    interval: { type: 'string', value: 'SECONDS', help: 'how often to sample the fleet (default: 10)' },
    prometheus: { type: 'string', value: 'URL', help: "chart history from this Prometheus server (scraping dbform's /metrics) instead of memory" },
  }),
  hosts: {
    keyscan: command('hosts keyscan', ['HOST'], 'print the hostKey line to pin for a host (name in the file, or ADDRESS[:PORT])'),
  },
};

/** What a command with subcommands is for, in the list of all commands. */
export const GROUP_SUMMARY: Record<string, string> = {
  backups: 'list, take, download, verify or drill the backups of an add-on',
};

export function isCommandSpec(entry: CommandSpec | Record<string, CommandSpec>): entry is CommandSpec {
  return typeof (entry as CommandSpec).name === 'string' && Array.isArray((entry as CommandSpec).args);
}
