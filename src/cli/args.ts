import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RENDER_FORMATS, type RenderFormat } from '../render/index.js';
// Types only (erased): the command modules are still loaded on use.
import type { ApplyOptions } from './commands/apply.js';
import type { RestoreOptions } from './commands/restore.js';
import type { LogsOptions } from './commands/logs.js';
import type { RestorePitrOptions } from './commands/restore-pitr.js';
import type { StatusOptions } from './commands/status.js';
import type { QueriesOptions } from './commands/queries.js';
import type { DashboardOptions } from './commands/dashboard.js';
import { COMMANDS, COMMON_FLAGS, DEFAULT_FILE, isCommandSpec, type CommandSpec, type FlagSpec } from './command-table.js';
import { commandUsage, flagList, globalUsage, groupUsage, synopsis } from './usage.js';

// Pure: argv -> the command to run with its typed options, a help text, or an error. Nothing here reads
// the environment or prints, so every case is a unit test on plain data. Each command accepts only its
// own flags (plus -f/--file and -h/--help): `dbform plan --user x` is an error, not a silently ignored flag.

export type Invocation =
  | { command: 'validate'; file: string }
  | { command: 'plan'; file: string; out?: string; format: RenderFormat; detailedExitcode: boolean }
  | { command: 'drift'; file: string; format: RenderFormat }
  | ({ command: 'apply' } & ApplyOptions)
  | { command: 'output'; file: string; addon: string; user?: string; all: boolean; ca: boolean; readReplica?: boolean; replicaHost?: string }
  | { command: 'backups'; file: string; action: string; addon: string; backup?: string; out?: string; format?: 'text' | 'json' }
  | ({ command: 'restore' } & RestoreOptions)
  | ({ command: 'restore pitr' } & RestorePitrOptions)
  | ({ command: 'logs' } & LogsOptions)
  | { command: 'hosts keyscan'; file: string; target: string }
  | ({ command: 'status' } & StatusOptions)
  | ({ command: 'queries' } & QueriesOptions)
  | { command: 'metrics'; file: string }
  | ({ command: 'dashboard' } & DashboardOptions);

export type ParseResult =
  | { kind: 'run'; invocation: Invocation }
  /** Usage to print on stdout; exit 1 when dbform was run without a command at all. */
  | { kind: 'help'; text: string; exitCode: 0 | 1 }
  /** A message for `Error: ...` on stderr, exit 1. */
  | { kind: 'error'; message: string };

class UsageError extends Error {}

type Values = Record<string, string | boolean | undefined>;

export function parseCommandLine(argv: string[]): ParseResult {
  try {
    return parse(argv);
  } catch (e) {
    if (e instanceof UsageError) return { kind: 'error', message: e.message };
    throw e;
  }
}

function parse(argv: string[]): ParseResult {
  // A first, lenient pass that knows every command's flags finds the command words wherever the flags
  // are (`dbform -f x.yaml plan` works), so that the strict pass can use that command's flags only.
  const first = parseArgs({ args: argv, options: toParseArgs(everyFlag()), strict: false, allowPositionals: true, tokens: true });
  const words = first.tokens.filter((t) => t.kind === 'positional');
  const help = first.values.help === true;
  const name = words[0]?.value;
  if (name === undefined) return { kind: 'help', text: globalUsage(), exitCode: help ? 0 : 1 };
  const entry = COMMANDS[name];
  if (!entry) throw new UsageError(`unknown command ${name}\n\n${globalUsage()}`);
  let spec: CommandSpec;
  let used = 1;
  if (isCommandSpec(entry)) spec = entry;
  else {
    const sub = words[1]?.value;
    if (sub === undefined) {
      if (help) return { kind: 'help', text: groupUsage(name), exitCode: 0 };
      throw new UsageError(`usage: ${Object.values(entry).map(synopsis).join('\n       ')}`);
    }
    if (!entry[sub]) throw new UsageError(`unknown ${name} command ${sub}: use ${Object.keys(entry).join(', ').replace(/, ([^,]*)$/, ' or $1')}`);
    spec = entry[sub]!;
    used = 2;
  }
  if (help) return { kind: 'help', text: commandUsage(spec), exitCode: 0 };
  const skip = new Set(words.slice(0, used).map((t) => t.index));
  const rest = argv.filter((_, i) => !skip.has(i));
  const { values, positionals } = parseFor(spec, rest);
  return { kind: 'run', invocation: invocation(spec, values, positionals) };
}

/** The strict pass: only this command's flags, and its number of arguments. */
function parseFor(spec: CommandSpec, args: string[]): { values: Values; positionals: string[] } {
  const flags = { ...COMMON_FLAGS, ...spec.flags };
  const lenient = parseArgs({ args, options: toParseArgs(flags), strict: false, allowPositionals: true, tokens: true });
  const unknown = lenient.tokens.find((t) => t.kind === 'option' && !Object.hasOwn(flags, t.name));
  if (unknown?.kind === 'option') throw new UsageError(`${spec.name} does not take ${unknown.rawName}; its flags: ${flagList(spec)}`);
  let parsed;
  try {
    parsed = parseArgs({ args, options: toParseArgs(flags), strict: true, allowPositionals: true });
  } catch (e) {
    // Missing values, values given to switches: node's message names the flag.
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError(`${spec.name}: ${(e as Error).message}`);
    throw e;
  }
  const required = spec.args.filter((a) => !a.startsWith('[')).length;
  const got = parsed.positionals;
  if (got.length < required) throw new UsageError(`usage: ${synopsis(spec)}`);
  if (got.length > spec.args.length) throw new UsageError(`${spec.name} does not take the argument ${got[spec.args.length]}; usage: ${synopsis(spec)}`);
  return { values: parsed.values as Values, positionals: got };
}

/** `--host HOST` of logs and queries: one member or read replica of the add-on (checked against the file later). */
function onHost(v: Values): { host?: string } {
  const host = str(v.host);
  if (host === undefined) return {};
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(host)) throw new UsageError(`--host must be a host's name in the file, got ${host}`);
  return { host };
}

function invocation(spec: CommandSpec, v: Values, args: string[]): Invocation {
  const file = str(v.file) ?? DEFAULT_FILE;
  const [command, action] = spec.name.split(' ') as [string, string | undefined];
  switch (command) {
    case 'validate':
      return { command, file };
    case 'plan':
      return { command, file, out: str(v.out), format: format(v.format, 'text'), detailedExitcode: v['detailed-exitcode'] === true };
    case 'drift':
      return { command, file, format: format(v.format, 'markdown') };
    case 'apply':
      return {
        command,
        file,
        planFile: args[0],
        autoApprove: v['auto-approve'] === true,
        allowHazards: str(v['allow-hazards']),
        lockTimeoutSeconds: seconds(str(v['lock-timeout']) ?? '0', '--lock-timeout'),
        expectFingerprint: str(v['expect-fingerprint']),
        ignoreWindow: v['ignore-window'] === true,
      };
    case 'logs':
      return { command, file, addon: args[0]!, sinceSeconds: duration(str(v.since) ?? '1h', '--since'), follow: v.follow === true, slow: v.slow === true, ...onHost(v) };
    case 'output':
      if (args[1] !== undefined && v['read-replica'] !== true) throw new UsageError(`output: HOST (${args[1]}) names a read replica: add --read-replica`);
      return { command, file, addon: args[0]!, user: str(v.user), all: v.all === true, ca: v.ca === true, ...(v['read-replica'] === true && { readReplica: true }), ...(args[1] !== undefined && { replicaHost: args[1] }) };
    case 'backups':
      return { command, file, action: action!, addon: args[0]!, backup: str(v.backup), out: str(v.out), ...listFormat(v.format) };
    case 'restore':
      return restoreInvocation(file, args[0]!, v);
    case 'hosts':
      return { command: 'hosts keyscan', file, target: args[0]! };
    case 'status': {
      const watch = str(v.watch);
      const watchSeconds = watch === undefined ? undefined : seconds(watch, '--watch');
      if (watchSeconds === 0) throw new UsageError('--watch must be more than 0 seconds');
      return { command, file, addon: args[0], format: listFormat(v.format).format ?? 'text', ...(watchSeconds === undefined ? {} : { watchSeconds }) };
    }
    case 'queries':
      return { command, file, addon: args[0]!, idle: v.idle === true, format: listFormat(v.format).format ?? 'text', ...onHost(v) };
    case 'metrics':
      return { command, file };
    case 'dashboard': {
      const intervalSeconds = seconds(str(v.interval) ?? '10', '--interval');
      if (intervalSeconds < 1) throw new UsageError('--interval must be at least 1 second');
      const prometheus = str(v.prometheus);
      if (prometheus !== undefined && !/^https?:\/\/[^/]/.test(prometheus)) throw new UsageError('--prometheus must be an http:// or https:// URL');
      return { command, file, listen: str(v.listen) ?? '127.0.0.1:8484', intervalSeconds, ...(prometheus ? { prometheus } : {}) };
    }
    default:
      throw new Error(`command table entry ${spec.name} has no invocation`);
  }
}

/** `--backup ID` restores a logical backup (in place or --into another add-on); `--to TIME` a point in time,
 *  in place, with its own (smaller) set of flags. */
function restoreInvocation(file: string, addon: string, v: Values): Invocation {
  const backup = str(v.backup);
  const to = str(v.to);
  if (backup && to) throw new UsageError('restore takes --backup ID (a logical backup) or --to TIME (a point in time), not both');
  if (to) {
    const fmt = str(v.format) ?? 'text';
    if (fmt !== 'text' && fmt !== 'json') throw new UsageError(`--format ${fmt}: restore prints text or json`);
    return {
      command: 'restore pitr', file, addon, to, into: str(v.into), allowHazards: str(v['allow-hazards']),
      format: fmt, lockTimeoutSeconds: seconds(str(v['lock-timeout']) ?? '0', '--lock-timeout'), dropPrevious: v['drop-previous'] === true,
    };
  }
  if (v.format !== undefined) throw new UsageError('restore --format goes with --to (a point in time)');
  if (!backup) throw new UsageError(`restore needs --backup ID (a logical backup; ids: dbform backups list ${addon}) or --to TIME|latest (a point in time)`);
  return {
    command: 'restore',
    file,
    addon,
    backup,
    into: str(v.into),
    autoApprove: v['auto-approve'] === true,
    allowHazards: str(v['allow-hazards']),
    dropPrevious: v['drop-previous'] === true,
    lockTimeoutSeconds: seconds(str(v['lock-timeout']) ?? '0', '--lock-timeout'),
  };
}

function format(value: string | boolean | undefined, fallback: RenderFormat): RenderFormat {
  const f = (str(value) ?? fallback) as RenderFormat;
  if (!RENDER_FORMATS.includes(f)) throw new UsageError(`--format must be one of ${RENDER_FORMATS.join(', ')}`);
  return f;
}

/** `backups list --format text|json` (the plan's markdown has no meaning for a list). */
function listFormat(value: string | boolean | undefined): { format?: 'text' | 'json' } {
  const f = str(value);
  if (f === undefined) return {};
  if (f !== 'text' && f !== 'json') throw new UsageError('--format must be one of text, json');
  return { format: f };
}

function seconds(value: string, flag: string): number {
  const n = Number(value.replace(/s$/, ''));
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a number of seconds, got ${value}`);
  return n;
}

/** "90s", "15m", "1h", "2d" (or a bare number of seconds) -> seconds. */
function duration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(value.trim());
  if (!m) throw new UsageError(`${flag} must be a duration such as 30s, 15m, 1h or 2d, got ${value}`);
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
}

function str(v: string | boolean | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Every flag of every command, for the first pass (a flag's type is the same in every command). */
function everyFlag(): Record<string, FlagSpec> {
  const all: Record<string, FlagSpec> = { ...COMMON_FLAGS };
  for (const entry of Object.values(COMMANDS)) {
    for (const spec of isCommandSpec(entry) ? [entry] : Object.values(entry)) Object.assign(all, spec.flags);
  }
  return all;
}

function toParseArgs(flags: Record<string, FlagSpec>): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, f.short ? { type: f.type, short: f.short } : { type: f.type }]));
}
