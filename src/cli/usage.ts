// Help texts, generated from the command table so that they always list exactly the accepted flags.

import { COMMANDS, COMMON_FLAGS, GROUP_SUMMARY, isCommandSpec, type CommandSpec, type FlagSpec } from './command-table.js';

const EXIT_CODES = 'Exit codes: 0 success or nothing to do, 1 error, 2 changes present (--detailed-exitcode).';
const COLUMN = 32;

/** How a flag is written: "-f/--file" or "--out". */
export function flagLabel(name: string, flag: FlagSpec): string {
  return flag.short ? `-${flag.short}/--${name}` : `--${name}`;
}

/** The flags a command takes, as its errors list them: --file first, --help left out (every command has it). */
export function flagList(spec: CommandSpec): string {
  return [flagLabel('file', COMMON_FLAGS.file!), ...Object.entries(spec.flags).map(([n, f]) => flagLabel(n, f))].join(', ');
}

function flagSynopsis(name: string, flag: FlagSpec): string {
  const text = flag.value ? `--${name} ${flag.value}` : `--${name}`;
  return flag.required ? text : `[${text}]`;
}

/** One line: "dbform apply [PLANFILE] [--auto-approve] ...". */
export function synopsis(spec: CommandSpec): string {
  const flags = Object.entries(spec.flags).map(([n, f]) => flagSynopsis(n, f));
  return ['dbform', spec.name, ...spec.args, ...flags].join(' ');
}

export function commandUsage(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.flags, ...COMMON_FLAGS }).map(([name, flag]) => {
    const label = flag.short ? `-${flag.short}, --${name}` : `--${name}`;
    return [flag.value ? `${label} ${flag.value}` : label, flag.help] as const;
  });
  return [`Usage: ${synopsis(spec)} [-f FILE]`, '', `${capitalize(spec.summary)}.`, '', 'Flags:', ...table(rows), '', EXIT_CODES].join('\n');
}

/** Usage of a command with subcommands ("dbform backups --help"): one synopsis per subcommand. */
export function groupUsage(group: string): string {
  const entry = COMMANDS[group]!;
  const specs = isCommandSpec(entry) ? [entry] : Object.values(entry);
  const rows = specs.map((s) => [synopsis(s).slice('dbform '.length), s.summary] as const);
  return [`Usage: dbform ${group} <${specs.map((s) => s.name.split(' ')[1]).join('|')}> ... [-f FILE]`, '', 'Commands:', ...table(rows), '', `Run \`dbform ${group} COMMAND --help\` for its flags.`].join('\n');
}

export function globalUsage(): string {
  const rows = Object.entries(COMMANDS).map(([name, entry]) => {
    if (isCommandSpec(entry)) return [synopsis(entry).slice('dbform '.length), entry.summary] as const;
    const subs = Object.values(entry);
    const flags = new Map(subs.flatMap((s) => Object.entries(s.flags)));
    const line = [name, subs.map((s) => s.name.split(' ')[1]).join('|'), ...subs[0]!.args, ...[...flags].map(([n, f]) => flagSynopsis(n, f))];
    return [line.join(' '), GROUP_SUMMARY[name] ?? subs[0]!.summary] as const;
  });
  return [
    'Usage: dbform <command> [-f databases.yaml] [flags]',
    '',
    'Commands:',
    ...table(rows),
    '',
    'Run `dbform COMMAND --help` for the flags of a command.',
    '',
    EXIT_CODES,
  ].join('\n');
}

/** Two columns; a left cell too wide for the column puts its description on the next line. */
function table(rows: readonly (readonly [string, string])[]): string[] {
  return rows.flatMap(([left, right]) =>
    left.length < COLUMN - 3 ? [`  ${left.padEnd(COLUMN - 2)}${right}`] : [`  ${left}`, `${' '.repeat(COLUMN)}${right}`],
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
