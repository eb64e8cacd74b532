import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import type { ExecOptions, ExecResult, HeldCommand, Host, PgLogin, StreamedCommand } from './host.js';
import { pgConfig } from './host.js';
import { heldCommand } from './held.js';

// The machine dbform runs on ("transport: local"): commands run through sh, SQL goes to 127.0.0.1.
export class LocalHost implements Host {
  readonly clientAddress = '127.0.0.1';
  constructor(readonly name: string) {}

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({
          code: code ?? (signal ? 128 : 1),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
      child.stdin.on('error', () => undefined); // a command that does not read stdin closes it early
      const input = opts.stdin ?? '';
      if (typeof input === 'string' || Buffer.isBuffer(input)) child.stdin.end(input);
      else pipeline(input, child.stdin).catch(() => child.stdin.destroy()); // the command sees EOF and ends
    });
  }

  stream(command: string): StreamedCommand {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const done = new Promise<{ code: number; stderr: string }>((resolve) => {
      child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
      child.on('error', () => resolve({ code: 127, stderr }));
    });
    return { stdout: child.stdout, done };
  }

  hold(command: string): HeldCommand {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number>((resolve) => {
      child.on('close', (code) => resolve(code ?? 1));
      child.on('error', () => resolve(127));
    });
    child.stdin.on('error', () => undefined);
    return heldCommand(child.stdin, child.stdout, exited);
  }

  async connectPg(login: PgLogin): Promise<pg.Client> {
    const client = new pg.Client(pgConfig(login));
    await client.connect();
    return client;
  }

  async close(): Promise<void> {}
}
