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
  }),
  output: command('output', ['ADDON'], 'connection URLs (DATABASE_URL), or the CA certificate', {
    user: { type: 'string', value: 'NAME', help: "this user's URL instead of the owner's" },
    all: { type: 'boolean', help: 'one URL per user (DATABASE_URL_<USER>=...)' },
    ca: { type: 'boolean', help: "the fleet CA's certificate, for sslmode=verify-full" },
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
  },
  restore: command('restore', ['ADDON'], 'restore a logical backup (--backup) or a point in time (--to), in place or --into another add-on; shows what it will do first', {
    backup: { type: 'string', value: 'ID', help: 'the logical backup to restore (an id from `backups list`)' },
    to: { type: 'string', value: 'TIME|latest', help: 'the point in time (PITR): RFC 3339, "YYYY-MM-DD HH:MM:SS" in defaults.timezone, or latest' },
    into: { type: 'string', value: 'ADDON', help: 'restore into this add-on (declared in the file; applied already for --backup, not yet for --to)' },
    format: { type: 'string', value: 'text|json', help: 'with --to: how to print what it did (default: text)' },
    'auto-approve': { type: 'boolean', help: 'do not ask for "yes" (for scripts)' },
    'allow-hazards': { type: 'string', value: 'CODE,...', help: 'allow the hazards restore prints (DATA_LOSS when data is overwritten)' },
    'drop-previous': { type: 'boolean', help: 'drop the replaced database once the restore succeeded (default: keep it)' },
    'lock-timeout': { type: 'string', value: 'SECONDS', help: "wait this long for another apply's host lock (default: 0)" },
  }),
  hosts: {
    keyscan: command('hosts keyscan', ['HOST'], 'print the hostKey line to pin for a host (name in the file, or ADDRESS[:PORT])'),
  },
};

/** What a command with subcommands is for, in the list of all commands. */
export const GROUP_SUMMARY: Record<string, string> = {
  backups: 'list, take, download or verify the backups of an add-on',
};

export function isCommandSpec(entry: CommandSpec | Record<string, CommandSpec>): entry is CommandSpec {
  return typeof (entry as CommandSpec).name === 'string' && Array.isArray((entry as CommandSpec).args);
}
