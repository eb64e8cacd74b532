import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/args.js';

// status, queries and metrics: argv -> options, or the usage error.

const parse = (argv: string[]) => parseCommandLine(argv);

describe('status, queries, metrics', () => {
  it('status: every add-on or one, text or json, --watch SECONDS', () => {
    expect(parse(['status'])).toEqual({ kind: 'run', invocation: { command: 'status', file: 'databases.yaml', addon: undefined, format: 'text' } });
    expect(parse(['status', 'shop', '--format', 'json', '--watch', '5'])).toEqual({
      kind: 'run',
      invocation: { command: 'status', file: 'databases.yaml', addon: 'shop', format: 'json', watchSeconds: 5 },
    });
    expect(parse(['status', '--watch', '0'])).toEqual({ kind: 'error', message: '--watch must be more than 0 seconds' });
    expect(parse(['status', '--watch', 'soon'])).toEqual({ kind: 'error', message: '--watch must be a number of seconds, got soon' });
    expect(parse(['status', '--format', 'markdown'])).toEqual({ kind: 'error', message: '--format must be one of text, json' });
    expect(parse(['status', 'a', 'b'])).toMatchObject({ kind: 'error', message: expect.stringContaining('status does not take the argument b') });
  });

  it('queries ADDON [--idle] [--format json]', () => {
    expect(parse(['queries', 'shop'])).toEqual({ kind: 'run', invocation: { command: 'queries', file: 'databases.yaml', addon: 'shop', idle: false, format: 'text' } });
    expect(parse(['queries', 'shop', '--idle', '--format', 'json', '-f', 'x.yaml'])).toEqual({
      kind: 'run',
      invocation: { command: 'queries', file: 'x.yaml', addon: 'shop', idle: true, format: 'json' },
    });
    expect(parse(['queries'])).toEqual({ kind: 'error', message: 'usage: dbform queries ADDON [--idle] [--format text|json] [--host HOST]' });
    expect(parse(['queries', 'shop', '--watch', '1'])).toEqual({ kind: 'error', message: 'queries does not take --watch; its flags: -f/--file, --idle, --format, --host' });
  });

  it('queries and logs --host HOST: a cluster member or a read replica', () => {
    expect(parse(['queries', 'shop', '--host', 'db-2'])).toEqual({ kind: 'run', invocation: { command: 'queries', file: 'databases.yaml', addon: 'shop', idle: false, format: 'text', host: 'db-2' } });
    expect(parse(['logs', 'shop', '--host', 'db-2', '--since', '5m'])).toEqual({
      kind: 'run',
      invocation: { command: 'logs', file: 'databases.yaml', addon: 'shop', sinceSeconds: 300, follow: false, slow: false, host: 'db-2' },
    });
    expect(parse(['queries', 'shop', '--host', '-x; rm'])).toMatchObject({ kind: 'error' });
    expect(parse(['logs', 'shop', '--host', 'db 2'])).toEqual({ kind: 'error', message: '--host must be a host\'s name in the file, got db 2' });
  });

  it('metrics takes no argument', () => {
    expect(parse(['metrics'])).toEqual({ kind: 'run', invocation: { command: 'metrics', file: 'databases.yaml' } });
    expect(parse(['metrics', 'shop'])).toMatchObject({ kind: 'error' });
  });
});
