import { randomBytes } from 'node:crypto';
import type { ExecResult, Host } from '../hosts/host.js';

// Gather's commands on one host, sent together: the commands asked for in the same turn of the event loop
// (the container list, the keystore, the files' hashes that every kind asks for at the start of a gather)
// run one after the other in one script, in one exec. Why: over SSH each exec is a session that sshd
// sets up (a process, the PAM session, a shell), and on the test fleet three sessions opened at once
// answered after about 250, 450 and 600 ms, while the commands themselves took 1 to 26 ms. One session
// instead of three takes the container list off the critical path of a no-op plan.
//
// Only for gather's short, read-only commands without stdin: apply's commands may run for minutes and
// must run concurrently, so they never go through this.

/** What gather's batched commands need of a host. */
export type CommandRunner = Pick<Host, 'name' | 'exec'>;

interface Pending {
  command: string;
  resolve: (r: ExecResult) => void;
  reject: (e: Error) => void;
}

export class BatchedReads implements CommandRunner {
  private pending: Pending[] = [];

  constructor(private readonly host: CommandRunner) {}

  get name(): string {
    return this.host.name;
  }

  exec(command: string): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      // setImmediate runs once the promise jobs of this turn are done, DataLoader's batches included.
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ command, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 1) {
      this.host.exec(batch[0]!.command).then(batch[0]!.resolve, batch[0]!.reject);
      return;
    }
    // A random marker that no command's output can contain by chance or forge.
    const marker = `@@dbform-${randomBytes(12).toString('hex')}`;
    try {
      const r = await this.host.exec(batchScript(batch.map((p) => p.command), marker));
      const results = splitBatchOutput(r, marker, batch.length);
      batch.forEach((p, i) => {
        const result = results[i];
        if (result) p.resolve(result);
        else p.reject(new Error(`host ${this.name}: a batched read ended before its command ran (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' ')}`));
      });
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }
}

const shared = new WeakMap<CommandRunner, BatchedReads>();

/** The one batcher of a host connection: every reader of the run (gather's kinds, `status`'s probe, the
 *  keystore) asks through it, so what they ask in the same turn shares one exec. Keyed by the connection
 *  object, so each session has its own and it goes away with it. */
export function batchedReadsOf(host: CommandRunner): BatchedReads {
  let reads = shared.get(host);
  if (!reads) shared.set(host, (reads = new BatchedReads(host)));
  return reads;
}

/** Pure: each command in its own subshell (its `cd` or `exit` stays there), stdin closed, its stdout and
 *  stderr and its exit code framed by marker lines. The newlines around a command keep a trailing comment
 *  of it from hiding the closing parenthesis. */
export function batchScript(commands: readonly string[], marker: string): string {
  return commands.map((c, i) => `printf '\\n%s\\n' '${marker} ${i}' >&2\n(\n${c}\n) </dev/null\nprintf '\\n%s %d\\n' '${marker} ${i}' $?`).join('\n');
}

/** Pure: the batch's output back into one result per command (undefined for a command that did not finish). */
export function splitBatchOutput(r: ExecResult, marker: string, count: number): (ExecResult | undefined)[] {
  const results: (ExecResult | undefined)[] = [];
  const stderrs = r.stderr.split(new RegExp(`\\n${marker} \\d+\\n`)).slice(1);
  let from = 0;
  for (let i = 0; i < count; i++) {
    const end = new RegExp(`\\n${marker} ${i} (\\d+)\\n`, 'y');
    const at = r.stdout.indexOf(`\n${marker} ${i} `, from);
    end.lastIndex = at;
    const m = at < 0 ? null : end.exec(r.stdout);
    if (!m) break;
    results.push({ code: Number(m[1]), stdout: r.stdout.slice(from, at), stderr: stderrs[i] ?? '' });
    from = end.lastIndex;
  }
  return results;
}
