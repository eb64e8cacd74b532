import { describe, expect, it } from 'vitest';
import { parseCommandLine, type ParseResult } from '../../src/cli/args.js';

// argv -> command and options, help text or error, as plain data: no process is started.

const run = (argv: string[]): unknown => {
  const r = parseCommandLine(argv);
  if (r.kind !== 'run') throw new Error(`expected a command, got ${JSON.stringify(r)}`);
  return r.invocation;
};
const error = (argv: string[]): string => {
  const r = parseCommandLine(argv);
  if (r.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r.message;
};
const help = (argv: string[]): Extract<ParseResult, { kind: 'help' }> => {
  const r = parseCommandLine(argv);
  if (r.kind !== 'help') throw new Error(`expected help, got ${JSON.stringify(r)}`);
  return r;
};

describe('every command and flag the README documents', () => {
  it('validate, with -f before or after the command', () => {
    expect(run(['validate'])).toEqual({ command: 'validate', file: 'databases.yaml' });
    expect(run(['validate', '-f', 'x.yaml'])).toEqual({ command: 'validate', file: 'x.yaml' });
    expect(run(['-f', 'x.yaml', 'validate'])).toEqual({ command: 'validate', file: 'x.yaml' });
    expect(run(['validate', '--file=y.yaml'])).toEqual({ command: 'validate', file: 'y.yaml' });
  });

  it('plan: text by default, --out, --format, --detailed-exitcode', () => {
    expect(run(['plan'])).toEqual({ command: 'plan', file: 'databases.yaml', out: undefined, format: 'text', detailedExitcode: false });
    expect(run(['plan', '--out', 'p.out', '--format', 'json', '--detailed-exitcode', '-f', 'c.yaml'])).toEqual({
      command: 'plan',
      file: 'c.yaml',
      out: 'p.out',
      format: 'json',
      detailedExitcode: true,
    });
    expect(run(['--detailed-exitcode', 'plan'])).toMatchObject({ command: 'plan', detailedExitcode: true });
  });

  it('drift: markdown by default', () => {
    expect(run(['drift'])).toEqual({ command: 'drift', file: 'databases.yaml', format: 'markdown' });
    expect(run(['drift', '--format', 'text'])).toEqual({ command: 'drift', file: 'databases.yaml', format: 'text' });
  });

  it('apply: plan file, --auto-approve, --allow-hazards, --lock-timeout, --expect-fingerprint', () => {
    expect(run(['apply'])).toEqual({
      command: 'apply',
      file: 'databases.yaml',
      planFile: undefined,
      autoApprove: false,
      allowHazards: undefined,
      lockTimeoutSeconds: 0,
      expectFingerprint: undefined,
      ignoreWindow: false,
    });
    expect(run(['apply', 'plan.out', '--allow-hazards', 'RESTART,DATA_LOSS', '--lock-timeout', '30s', '--expect-fingerprint', 'abc', '--auto-approve'])).toEqual({
      command: 'apply',
      file: 'databases.yaml',
      planFile: 'plan.out',
      autoApprove: true,
      allowHazards: 'RESTART,DATA_LOSS',
      lockTimeoutSeconds: 30,
      expectFingerprint: 'abc',
      ignoreWindow: false,
    });
    expect(run(['apply', '--ignore-window', '--auto-approve'])).toMatchObject({ ignoreWindow: true, autoApprove: true });
  });

  it('logs ADDON with --since (a duration), --follow and --slow', () => {
    expect(run(['logs', 'shop'])).toEqual({ command: 'logs', file: 'databases.yaml', addon: 'shop', sinceSeconds: 3600, follow: false, slow: false });
    expect(run(['logs', 'shop', '--since', '15m', '--follow', '--slow'])).toEqual({ command: 'logs', file: 'databases.yaml', addon: 'shop', sinceSeconds: 900, follow: true, slow: true });
    expect(run(['logs', 'shop', '--since', '2d'])).toMatchObject({ sinceSeconds: 172800 });
    expect(error(['logs', 'shop', '--since', 'yesterday'])).toBe('--since must be a duration such as 30s, 15m, 1h or 2d, got yesterday');
    expect(error(['logs', 'shop', '--user', 'x'])).toMatch(/^logs does not take --user/);
  });

  it('output ADDON with --user, --all or --ca', () => {
    expect(run(['output', 'shop'])).toEqual({ command: 'output', file: 'databases.yaml', addon: 'shop', user: undefined, all: false, ca: false });
    expect(run(['output', 'shop', '--user', 'reporting'])).toMatchObject({ addon: 'shop', user: 'reporting', all: false });
    expect(run(['output', 'shop', '--all'])).toMatchObject({ all: true, ca: false });
    expect(run(['output', 'shop', '--ca'])).toMatchObject({ all: false, ca: true });
  });

  it('output ADDON --read-replica [HOST]: every read replica, or the one on HOST; HOST alone is an error', () => {
    expect(run(['output', 'shop', '--read-replica'])).toEqual({ command: 'output', file: 'databases.yaml', addon: 'shop', user: undefined, all: false, ca: false, readReplica: true });
    expect(run(['output', 'shop', '--read-replica', 'db-2', '--all'])).toMatchObject({ addon: 'shop', readReplica: true, replicaHost: 'db-2', all: true });
    expect(error(['output', 'shop', 'db-2'])).toBe('output: HOST (db-2) names a read replica: add --read-replica');
  });

  it('backups list|create|download|verify|drill ADDON, each with its own flags', () => {
    expect(run(['backups', 'list', 'shop'])).toEqual({ command: 'backups', file: 'databases.yaml', action: 'list', addon: 'shop', backup: undefined, out: undefined });
    expect(run(['backups', 'list', 'shop', '--format', 'json'])).toMatchObject({ action: 'list', addon: 'shop', format: 'json' });
    expect(run(['backups', 'create', 'shop'])).toMatchObject({ action: 'create', addon: 'shop' });
    expect(run(['backups', 'download', 'shop', '--backup', 'b1', '--out', 'x.dump'])).toMatchObject({ action: 'download', backup: 'b1', out: 'x.dump' });
    expect(run(['backups', 'verify', 'shop', '--backup', 'b1'])).toMatchObject({ action: 'verify', backup: 'b1' });
    expect(run(['backups', 'drill', 'shop'])).toEqual({ command: 'backups', file: 'databases.yaml', action: 'drill', addon: 'shop', backup: undefined, out: undefined });
    expect(run(['backups', 'drill', 'shop', '--format', 'json'])).toMatchObject({ action: 'drill', addon: 'shop', format: 'json' });
    expect(error(['backups', 'drill', 'shop', '--backup', 'b1'])).toBe('backups drill does not take --backup; its flags: -f/--file, --format');
    expect(error(['backups', 'drill', 'shop', '--format', 'markdown'])).toBe('--format must be one of text, json');
  });

  it('restore ADDON --to TIME|latest [--allow-hazards]', () => {
    expect(run(['restore', 'shop', '--to', 'latest', '--allow-hazards', 'DATA_LOSS'])).toEqual({ command: 'restore pitr', file: 'databases.yaml', addon: 'shop', to: 'latest', allowHazards: 'DATA_LOSS', format: 'text', lockTimeoutSeconds: 0, dropPrevious: false });
    expect(error(['restore', 'shop'])).toBe('restore needs --backup ID (a logical backup; ids: dbform backups list shop) or --to TIME|latest (a point in time)');
  });

  it('hosts keyscan HOST', () => {
    expect(run(['hosts', 'keyscan', '10.77.0.11:22'])).toEqual({ command: 'hosts keyscan', file: 'databases.yaml', target: '10.77.0.11:22' });
  });
});

describe('a flag another command takes is an error naming the flags of this one', () => {
  it('plan --user', () => {
    expect(error(['plan', '--user', 'x'])).toBe('plan does not take --user; its flags: -f/--file, --out, --format, --detailed-exitcode');
  });
  it('other commands, long, short and --flag=value forms', () => {
    expect(error(['validate', '--out', 'x'])).toBe('validate does not take --out; its flags: -f/--file');
    expect(error(['drift', '--detailed-exitcode'])).toBe('drift does not take --detailed-exitcode; its flags: -f/--file, --format');
    expect(error(['apply', '--format=json'])).toBe(
      'apply does not take --format; its flags: -f/--file, --auto-approve, --allow-hazards, --lock-timeout, --expect-fingerprint, --ignore-window',
    );
    expect(error(['output', 'shop', '-x'])).toBe('output does not take -x; its flags: -f/--file, --user, --all, --ca, --read-replica');
    expect(error(['backups', 'verify', 'shop', '--out', 'f'])).toBe('backups verify does not take --out; its flags: -f/--file, --backup');
    expect(error(['backups', 'list', 'shop', '--backup', 'b1'])).toBe('backups list does not take --backup; its flags: -f/--file, --format');
    expect(error(['hosts', 'keyscan', 'db-1', '--all'])).toBe('hosts keyscan does not take --all; its flags: -f/--file');
  });
});

describe('other mistakes', () => {
  it('unknown commands and subcommands', () => {
    expect(error(['frob'])).toMatch(/^unknown command frob\n\nUsage: dbform <command>/);
    expect(error(['backups', 'restore', 'shop'])).toBe('unknown backups command restore: use list, create, download, verify or drill');
    expect(error(['hosts', 'scan', 'db-1'])).toBe('unknown hosts command scan: use keyscan');
  });
  it('missing and extra arguments', () => {
    expect(error(['output'])).toBe('usage: dbform output ADDON [HOST] [--user NAME] [--all] [--ca] [--read-replica]');
    expect(error(['hosts', 'keyscan'])).toBe('usage: dbform hosts keyscan HOST');
    expect(error(['backups', 'download'])).toBe('usage: dbform backups download ADDON [--backup ID] [--out FILE]');
    expect(error(['backups'])).toMatch(/^usage: dbform backups list ADDON \[--format text\|json\]\n +dbform backups create ADDON\n/);
    expect(error(['plan', 'extra'])).toMatch(/^plan does not take the argument extra; usage: dbform plan /);
    expect(error(['apply', 'a.out', 'b.out'])).toMatch(/^apply does not take the argument b\.out;/);
  });
  it('bad values', () => {
    expect(error(['plan', '--format', 'xml'])).toBe('--format must be one of text, markdown, json');
    expect(error(['backups', 'list', 'shop', '--format', 'markdown'])).toBe('--format must be one of text, json');
    expect(error(['apply', '--lock-timeout', 'soon'])).toBe('--lock-timeout must be a number of seconds, got soon');
    expect(error(['apply', '--lock-timeout=-5'])).toBe('--lock-timeout must be a number of seconds, got -5');
    expect(error(['apply', '--lock-timeout', '-5'])).toMatch(/^apply: Option '--lock-timeout' argument is ambiguous/);
    expect(error(['plan', '--out'])).toMatch(/^plan: Option '--out <value>' argument missing/);
    expect(error(['plan', '--detailed-exitcode=yes'])).toMatch(/^plan: Option '--detailed-exitcode' does not take an argument/);
  });
});

describe('help', () => {
  it('no command: the list of commands, exit 1; --help or -h: the same, exit 0', () => {
    const none = help([]);
    expect(none.exitCode).toBe(1);
    expect(none.text).toMatch(/^Usage: dbform <command>/);
    for (const name of ['validate', 'plan', 'drift', 'apply', 'output', 'backups', 'hosts keyscan']) expect(none.text).toContain(`\n  ${name}`);
    expect(help(['--help'])).toEqual({ kind: 'help', text: none.text, exitCode: 0 });
    expect(help(['-h'])).toEqual({ kind: 'help', text: none.text, exitCode: 0 });
  });
  it("COMMAND --help: that command's usage and every flag it takes, even with a flag it does not take", () => {
    const plan = help(['plan', '--help']);
    expect(plan.exitCode).toBe(0);
    expect(plan.text).toMatch(/^Usage: dbform plan \[--out FILE\] \[--format text\|markdown\|json\] \[--detailed-exitcode\] \[-f FILE\]\n/);
    for (const flag of ['--out FILE', '--format', '--detailed-exitcode', '-f, --file FILE', '-h, --help']) expect(plan.text).toContain(`\n  ${flag}`);
    expect(plan.text).not.toContain('--user');
    expect(help(['plan', '-h', '--user', 'x']).text).toBe(plan.text);
    expect(help(['backups', 'download', '--help']).text).toMatch(/^Usage: dbform backups download ADDON \[--backup ID\] \[--out FILE\]/);
    expect(help(['backups', '--help']).text).toMatch(/^Usage: dbform backups <list\|create\|download\|verify\|drill>/);
  });
});
