// BatchedReads through a real /bin/sh: the commands asked for in one turn run in one exec, and each gets
// back exactly its own output, error output and exit code.

import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BatchedReads, type CommandRunner } from '../../src/gather/batched-reads.js';
import type { ExecResult } from '../../src/hosts/host.js';

/** Runs commands in /bin/sh on this machine and records the execs. ($$ in a subshell is the script's shell.) */
function shell(): CommandRunner & { execs: string[] } {
  const execs: string[] = [];
  return {
    name: 'here',
    execs,
    exec: (command: string) =>
      new Promise<ExecResult>((resolve) => {
        execs.push(command);
        // stdin closed at once, as the hosts' exec does for a command given no stdin.
        execFile('/bin/sh', ['-c', command], (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 255) : 0, stdout, stderr })).stdin!.end();
      }),
  };
}

describe('BatchedReads', () => {
  it('runs the commands of one turn in one exec, each with its own stdout, stderr and exit code', async () => {
    const host = shell();
    const reads = new BatchedReads(host);
    const [a, b, c, d] = await Promise.all([
      reads.exec('echo one; echo two'),
      reads.exec('printf no-newline; echo oops >&2; exit 3'),
      reads.exec('cd /; pwd # a trailing comment'),
      reads.exec('pwd; printf "err without newline" >&2'),
    ]);
    expect(host.execs).toHaveLength(1);
    expect(a).toEqual({ code: 0, stdout: 'one\ntwo\n', stderr: '' });
    expect(b).toEqual({ code: 3, stdout: 'no-newline', stderr: 'oops\n' });
    expect(c).toEqual({ code: 0, stdout: '/\n', stderr: '' });
    // The `cd` of the command before stayed in its subshell.
    expect(d.stdout).toBe(`${process.cwd()}\n`);
    expect(d.stderr).toBe('err without newline');
  });

  it('closes the commands` stdin and sends a lone command as it is', async () => {
    const host = shell();
    const reads = new BatchedReads(host);
    expect(await reads.exec('cat; echo done')).toEqual({ code: 0, stdout: 'done\n', stderr: '' });
    expect(host.execs).toEqual(['cat; echo done']);
    const [x, y] = await Promise.all([reads.exec('cat; echo x'), reads.exec('echo y')]);
    expect([x.stdout, y.stdout]).toEqual(['x\n', 'y\n']);
  });

  it('sends what is asked in a later turn in an exec of its own', async () => {
    const host = shell();
    const reads = new BatchedReads(host);
    const first = reads.exec('echo 1');
    const second = first.then(() => reads.exec('echo 2'));
    expect([(await first).stdout, (await second).stdout]).toEqual(['1\n', '2\n']);
    expect(host.execs).toEqual(['echo 1', 'echo 2']);
  });

  it('rejects the commands that did not run when the script ends early, and all of them when the exec fails', async () => {
    const reads = new BatchedReads(shell());
    const [done, killer, after] = await Promise.allSettled([reads.exec('echo fine'), reads.exec('kill -9 $$'), reads.exec('echo never')]);
    expect(done).toEqual({ status: 'fulfilled', value: { code: 0, stdout: 'fine\n', stderr: '' } });
    expect(killer.status).toBe('rejected');
    expect(after).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/^host here: a batched read ended before its command ran/) } });

    const down = new BatchedReads({ name: 'down', exec: () => Promise.reject(new Error('host down: cannot run a command')) });
    const results = await Promise.allSettled([down.exec('echo a'), down.exec('echo b')]);
    expect(results.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual(['host down: cannot run a command', 'host down: cannot run a command']);
  });
});
