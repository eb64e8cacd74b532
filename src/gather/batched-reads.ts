import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { ExecResult, Host } from '../hosts/host.js';

// Gather's commands on one host, sent together: the commands asked for in the same turn of the event loop
// (the container list, the keystore, the files' hashes that every kind asks for at the start of a gather)
// run one after the other in one script, in one exec. Why: over SSH each exec is a session that sshd
// sets up (a process, the PAM session, a shell), and on the test fleet three sessions opened at once
// answered after about 250, 450 and 600 ms, while the commands themselves took 1 to 26 ms. One session
// instead of three takes the container list off the critical path of a no-op plan.
//
// The script's output is read as it comes: each command's result is handed back as soon as its end line
// arrives, so a reader whose command ran early does not wait for the commands after it (`status` puts its
// slow second CPU reading last, behind gather's reads, and the catalog logins that follow gather start
// while it runs on the host).
//
// Only for gather's short, read-only commands without stdin: apply's commands may run for minutes and
// must run concurrently, so they never go through this.

/** What gather's batched commands need of a host. */
export type CommandRunner = Pick<Host, 'name' | 'exec' | 'stream'>;

interface Pending {
  command: string;
  resolve: (r: ExecResult) => void;
  reject: (e: Error) => void;
}

export class BatchedReads {
  private pending: Pending[] = [];
  /** Asked with `execLast`: they run after every other command of their batch. */
  private pendingLast: Pending[] = [];

  constructor(private readonly host: CommandRunner) {}

  get name(): string {
    return this.host.name;
  }

  exec(command: string): Promise<ExecResult> {
    return this.enqueue(command, this.pending);
  }

  /** As exec, but behind the commands asked for in the same turn (a command that takes its time on purpose). */
  execLast(command: string): Promise<ExecResult> {
    return this.enqueue(command, this.pendingLast);
  }

  private enqueue(command: string, queue: Pending[]): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      // setImmediate runs once the promise jobs of this turn are done, DataLoader's batches included.
      if (this.pending.length + this.pendingLast.length === 0) setImmediate(() => void this.flush());
      queue.push({ command, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = [...this.pending, ...this.pendingLast];
    this.pending = [];
    this.pendingLast = [];
    if (batch.length === 1) {
      this.host.exec(batch[0]!.command).then(batch[0]!.resolve, batch[0]!.reject);
      return;
    }
    // A random marker that no command's output can contain by chance or forge.
    const marker = `@@dbform-${randomBytes(12).toString('hex')}`;
    const output = new BatchOutput(marker);
    let answered = 0;
    try {
      const run = this.host.stream(batchScript(batch.map((p) => p.command), marker));
      const decoder = new StringDecoder('utf8');
      run.stdout.on('data', (chunk: Buffer) => {
        for (const result of output.push(decoder.write(chunk))) batch[answered++]!.resolve(result);
      });
      const { code, stderr } = await run.done;
      for (const result of output.push(decoder.end())) batch[answered++]!.resolve(result);
      const why = `host ${this.name}: a batched read ended before its command ran (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`;
      for (const p of batch.slice(answered)) p.reject(new Error(why));
    } catch (err) {
      for (const p of batch.slice(answered)) p.reject(err as Error);
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

/** Pure: each command in its own subshell (its `cd` or `exit` stays there), stdin closed. Its stdout goes
 *  straight to the script's (fd 3 inside the capture); its stderr is captured and printed after it, in
 *  base64 on the command's end line with its exit code: `\nMARKER I CODE BASE64\n`. (The `.` keeps the
 *  capture from dropping the stderr's trailing newlines; the reader removes it.) The newlines around a
 *  command keep a trailing comment of it from hiding the closing parenthesis. */
export function batchScript(commands: readonly string[], marker: string): string {
  return commands
    .map((c, i) =>
      [
        `{ dbform_err=$( (\n${c}\n) </dev/null 2>&1 1>&3 3>&-; dbform_code=$?; printf .; exit $dbform_code ); dbform_code=$?; } 3>&1`,
        `printf '\\n%s %d %s\\n' '${marker} ${i}' "$dbform_code" "$(printf '%s' "$dbform_err" | base64 | tr -d '\\n')"`,
      ].join('\n'),
    )
    .join('\n');
}

/** Pure: the batch's output, as it arrives, back into one result per command, in order. */
export class BatchOutput {
  private text = '';
  private from = 0;
  private next = 0;

  constructor(private readonly marker: string) {}

  /** Adds output; returns the results that it completes. */
  push(chunk: string): ExecResult[] {
    this.text += chunk;
    const done: ExecResult[] = [];
    for (;;) {
      const head = `\n${this.marker} ${this.next} `;
      const at = this.text.indexOf(head, this.from);
      const eol = at < 0 ? -1 : this.text.indexOf('\n', at + head.length);
      if (eol < 0) break;
      const m = /^(\d+) ([A-Za-z0-9+/=]*)$/.exec(this.text.slice(at + head.length, eol));
      if (!m) break;
      const stderr = Buffer.from(m[2]!, 'base64').toString('utf8').slice(0, -1);
      done.push({ code: Number(m[1]), stdout: this.text.slice(this.from, at), stderr });
      this.from = eol + 1;
      this.next++;
    }
    // What is answered already is not kept.
    this.text = this.text.slice(this.from);
    this.from = 0;
    return done;
  }
}
