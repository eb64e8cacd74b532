// BatchedReads through a real /bin/sh: the commands asked for in one turn run in one exec, and each gets
// back exactly its own output, error output and exit code.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchOutput, BatchedReads, type CommandRunner } from '../../src/gather/batched-reads.js';
import type { ExecResult } from '../../src/hosts/host.js';
import { LocalHost } from '../../src/hosts/local.js';

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
    stream: (command: string) => {
      execs.push(command);
      return new LocalHost('here').stream(command);
    },
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

    const refused = () => {
      throw new Error('host down: cannot run a command');
    };
    const down = new BatchedReads({ name: 'down', exec: () => Promise.reject(new Error('host down: cannot run a command')), stream: refused });
    const results = await Promise.allSettled([down.exec('echo a'), down.exec('echo b')]);
    expect(results.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual(['host down: cannot run a command', 'host down: cannot run a command']);
  });

  it('hands each result back as soon as its command is over, and runs execLast commands after the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batched-'));
    try {
      const reads = new BatchedReads(shell());
      // The last command waits until the test has seen the first result: were results only handed back at the
      // end of the exec, the first would never arrive and the test would time out.
      const last = reads.execLast(`while [ ! -e ${dir}/go ]; do sleep 0.02; done; echo last`);
      const first = reads.exec('echo first; echo "é" >&2');
      const second = reads.exec('printf "two\\n\\n\\n" >&2; exit 7');
      expect(await first).toEqual({ code: 0, stdout: 'first\n', stderr: 'é\n' });
      expect(await second).toEqual({ code: 7, stdout: '', stderr: 'two\n\n\n' });
      writeFileSync(join(dir, 'go'), '');
      expect(await last).toEqual({ code: 0, stdout: 'last\n', stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('BatchOutput', () => {
  it('reads results split across chunks at any byte, and only complete end lines', () => {
    const marker = '@@m';
    const text = `a\n\n${marker} 0 0 \nb\n${marker} 1 2 ${Buffer.from('oops\n.').toString('base64')}\n`;
    for (let cut = 0; cut <= text.length; cut++) {
      const out = new BatchOutput(marker);
      const results = [...out.push(text.slice(0, cut)), ...out.push(text.slice(cut))];
      expect(results).toEqual([{ code: 0, stdout: 'a\n', stderr: '' }, { code: 2, stdout: 'b', stderr: 'oops\n' }]);
    }
  });
});
