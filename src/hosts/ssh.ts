import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type pg from 'pg';
import { Client as SshClient, type ClientChannel } from 'ssh2';
import type { SshHost as SshHostConfig } from '../config/types.js';
import { shq } from '../util/shell.js';
import type { ExecOptions, ExecResult, HeldCommand, Host, PgLogin, StreamedCommand } from './host.js';
import { pgConfig } from './host.js';
import { heldCommand } from './held.js';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { blobAlgorithm, fingerprint, parseHostKey, serverHostKeyAlgorithms } from './host-key.js';
import { SessionSlots } from './session-slots.js';
import { SshPgStream } from './ssh-pg-stream.js';
import { pgDriver } from './pg-driver.js';

// One SSH connection per host for the whole run: commands are exec channels on it, SQL goes through
// direct-tcpip channels to the host's loopback. The host key is checked against the pinned key during
// the handshake, before authentication: nothing (no command, no secret) is sent to an unknown host.
// Commands queue for one of a bounded number of session channels (session-slots.ts): a stock sshd allows 10.

function privateKey(cfg: SshHostConfig): Buffer {
  if (cfg.identityEnv) {
    const text = process.env[cfg.identityEnv];
    if (!text) throw new Error(`environment variable ${cfg.identityEnv} (identityEnv) is not set`);
    return Buffer.from(text.endsWith('\n') ? text : text + '\n');
  }
  const path = (cfg.identityFile ?? '~/.ssh/id_ed25519').replace(/^~(?=\/)/, homedir());
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read identityFile ${path}: ${(e as Error).message}`);
  }
}

export class SshHost implements Host {
  readonly clientAddress: string;
  private readonly slots = new SessionSlots();
  private constructor(
    private readonly cfg: SshHostConfig,
    private readonly ssh: SshClient,
  ) {
    this.clientAddress = cfg.address;
  }

  get name(): string {
    return this.cfg.name;
  }

  static connect(cfg: SshHostConfig, timeoutMs = 15_000): Promise<SshHost> {
    const pinned = parseHostKey(cfg.hostKey);
    const where = `${cfg.address}:${cfg.port}`;
    return new Promise((resolve, reject) => {
      const ssh = new SshClient();
      let presented: Buffer | undefined;
      ssh.on('ready', () => {
        // Loaded now, while the first commands are on their way (the catalogs are read after their answers).
        pgDriver().catch(() => undefined);
        resolve(new SshHost(cfg, ssh));
      });
      ssh.on('error', (err: Error & { level?: string }) => {
        if (presented && !presented.equals(pinned.blob)) {
          reject(
            new Error(
              `host key of ${where} does not match the pinned hostKey: expected ${pinned.algorithm} ${fingerprint(pinned.blob)}, ` +
                `got ${blobAlgorithm(presented)} ${fingerprint(presented)}. Nothing was sent to the host. If it was reinstalled, ` +
                `check the new key out of band and update hostKey (dbform hosts keyscan ${cfg.name}).`,
            ),
          );
        } else if (err.level === 'client-authentication') {
          reject(new Error(`SSH authentication as ${cfg.user} on ${where} failed: the key was refused`));
        } else if (/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|Timed out/i.test(err.message)) {
          // Nothing answered: the host is down, or sshd is not running (a sandbox fleet is gone after a reboot).
          reject(new Error(`${cfg.address} does not answer on port ${cfg.port} (${err.message}): is the host up and its sshd running?`));
        } else {
          reject(new Error(`cannot connect to ${where}: ${err.message}`));
        }
      });
      let key: Buffer;
      try {
        key = privateKey(cfg);
      } catch (e) {
        reject(e);
        return;
      }
      ssh.connect({
        host: cfg.address,
        port: cfg.port,
        username: cfg.user,
        privateKey: key,
        readyTimeout: timeoutMs,
        keepaliveInterval: 10_000,
        algorithms: { serverHostKey: serverHostKeyAlgorithms(pinned.algorithm) as never },
        hostVerifier: (blob: Buffer) => {
          presented = blob;
          return blob.equals(pinned.blob);
        },
      });
    });
  }

  /** Non-root users run every command through sudo (see the README for the rights it needs). */
  private wrap(command: string): string {
    return this.cfg.user === 'root' ? command : `sudo -n -- sh -c ${shq(command)}`;
  }

  /** Opens a session channel running `command`, within the connection's session limit; `use` gets the channel
   *  and resolves when the command is over (the slot is then free for the next one). */
  private session<T>(command: string, use: (channel: ClientChannel) => Promise<T>): Promise<T> {
    return this.slots.run(
      () =>
        new Promise<ClientChannel>((resolve, reject) => {
          this.ssh.exec(this.wrap(command), (err, channel) => (err ? reject(err) : resolve(channel)));
        }).then(use),
    );
  }

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return this.session(
      command,
      (stream) =>
        new Promise<ExecResult>((resolve) => {
          const out: Buffer[] = [];
          const errs: Buffer[] = [];
          let timer: NodeJS.Timeout | undefined;
          if (opts.timeoutMs) timer = setTimeout(() => stream.close(), opts.timeoutMs);
          stream.on('data', (d: Buffer) => out.push(d));
          stream.stderr.on('data', (d: Buffer) => errs.push(d));
          stream.on('close', (code: number | null, signal?: string) => {
            if (timer) clearTimeout(timer);
            resolve({
              code: code ?? (signal ? 128 : 255),
              stdout: Buffer.concat(out).toString('utf8'),
              stderr: Buffer.concat(errs).toString('utf8'),
            });
          });
          const input = opts.stdin ?? '';
          if (typeof input === 'string' || Buffer.isBuffer(input)) stream.end(input);
          else pipeline(input, stream).catch(() => stream.close()); // the channel closes: the command ends
        }),
    ).catch((err: Error) => {
      throw new Error(`host ${this.name}: cannot run a command: ${err.message}`);
    });
  }

  stream(command: string): StreamedCommand {
    const stdout = new PassThrough();
    let stderr = '';
    const done = this.session(
      command,
      (channel) =>
        new Promise<{ code: number; stderr: string }>((resolve) => {
          channel.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
          channel.pipe(stdout);
          channel.on('close', (code: number | null) => resolve({ code: code ?? 255, stderr }));
          channel.end();
        }),
    ).catch((err: Error) => {
      stdout.end();
      return { code: 255, stderr: err.message };
    });
    return { stdout, done };
  }

  /** The held command keeps its session slot for as long as it runs (the host lock: the whole run). */
  hold(command: string): HeldCommand {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const exited = this.session(
      command,
      (channel) =>
        new Promise<number>((resolve) => {
          stdin.pipe(channel);
          channel.pipe(stdout);
          channel.on('close', (code: number | null) => resolve(code ?? 255));
        }),
    ).catch((err: Error) => {
      stdout.end(`cannot run a command: ${err.message}`);
      return 255;
    });
    return heldCommand(stdin, stdout, exited);
  }

  async connectPg(login: PgLogin): Promise<pg.Client> {
    const { Client } = await pgDriver();
    const client = new Client({
      ...pgConfig(login),
      stream: () => new SshPgStream(this.ssh, login.port) as never,
    });
    await client.connect();
    return client;
  }

  async close(): Promise<void> {
    this.ssh.end();
  }
}
