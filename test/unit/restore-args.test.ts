import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/args.js';
import { restoreTarget } from '../../src/restore/run.js';
import type { Config } from '../../src/config/types.js';

// `dbform restore` on the command line, and the names it is given checked against the file, as plain data.

describe('restore arguments', () => {
  it('ADDON --backup ID, with every flag', () => {
    expect(parseCommandLine(['restore', 'shop', '--backup', 'B1'])).toEqual({
      kind: 'run',
      invocation: { command: 'restore', file: 'databases.yaml', addon: 'shop', backup: 'B1', into: undefined, autoApprove: false, allowHazards: undefined, dropPrevious: false, lockTimeoutSeconds: 0 },
    });
    const all = ['restore', 'shop', '--backup', 'B1', '--into', 'copy', '--auto-approve', '--allow-hazards', 'DATA_LOSS', '--drop-previous', '--lock-timeout', '30', '-f', 'x.yaml'];
    expect(parseCommandLine(all)).toEqual({
      kind: 'run',
      invocation: { command: 'restore', file: 'x.yaml', addon: 'shop', backup: 'B1', into: 'copy', autoApprove: true, allowHazards: 'DATA_LOSS', dropPrevious: true, lockTimeoutSeconds: 30 },
    });
  });

  it('errors: no --backup, no add-on, a flag restore does not take', () => {
    expect(parseCommandLine(['restore', 'shop'])).toEqual({
      kind: 'error',
      message: 'restore needs --backup ID (a logical backup; ids: dbform backups list shop) or --to TIME|latest (a point in time)',
    });
    expect(parseCommandLine(['restore', '--backup', 'B1'])).toMatchObject({ kind: 'error', message: expect.stringMatching(/^usage: dbform restore ADDON \[--backup ID\] \[--to TIME\|latest\] \[--into ADDON\]/) });
    expect(parseCommandLine(['restore', 'shop', '--backup', 'B1', '--format', 'json'])).toEqual({ kind: 'error', message: 'restore --format goes with --to (a point in time)' });
    expect(parseCommandLine(['restore', 'shop', '--backup', 'B1', '--user', 'x'])).toMatchObject({ kind: 'error', message: expect.stringContaining('restore does not take --user; its flags: -f/--file, --backup, --to, --into,') });
  });

  it('takes a logical backup or a point in time, each with its own flags', () => {
    expect(parseCommandLine(['restore', 'shop', '--backup', 'B1', '--to', 'latest'])).toEqual({
      kind: 'error',
      message: 'restore takes --backup ID (a logical backup) or --to TIME (a point in time), not both',
    });
    expect(parseCommandLine(['restore', 'shop', '--to', 'latest', '--format', 'yaml'])).toEqual({ kind: 'error', message: '--format yaml: restore prints text or json' });
    expect(parseCommandLine(['restore', 'shop', '--to', '2026-11-30 10:15:00', '--into', 'copy', '--format', 'json', '--lock-timeout', '30', '-f', 'x.yaml'])).toEqual({
      kind: 'run',
      invocation: { command: 'restore pitr', file: 'x.yaml', addon: 'shop', to: '2026-11-30 10:15:00', into: 'copy', format: 'json', lockTimeoutSeconds: 30, dropPrevious: false },
    });
  });

  it('help lists its flags', () => {
    const r = parseCommandLine(['restore', '--help']);
    expect(r.kind).toBe('help');
    if (r.kind === 'help') for (const f of ['--backup ID', '--into ADDON', '--allow-hazards', '--drop-previous', '--auto-approve']) expect(r.text).toContain(f);
  });
});

describe('restore target, before anything is contacted', () => {
  const config = { file: 'databases.yaml', addons: [{ name: 'shop' }, { name: 'copy' }] } as unknown as Config;

  it('in place: the add-on itself; into: the other add-on', () => {
    expect(restoreTarget(config, 'shop', undefined)).toBe('shop');
    expect(restoreTarget(config, 'shop', 'copy')).toBe('copy');
    // A removed add-on's backups can go into a declared one.
    expect(restoreTarget(config, 'gone', 'copy')).toBe('copy');
  });

  it('undeclared names are errors naming the declared add-ons', () => {
    expect(() => restoreTarget(config, 'nope', undefined)).toThrow('no add-on named nope in databases.yaml (declared: shop, copy)');
    expect(() => restoreTarget(config, 'shop', 'ghost')).toThrow('--into ghost: no add-on named ghost in databases.yaml (declared: shop, copy). Declare it there and run dbform apply first');
  });
});
