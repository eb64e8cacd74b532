import { Duplex } from 'node:stream';
import type { Client as SshClient, ClientChannel } from 'ssh2';

// A socket-like stream for `pg` that reaches PostgreSQL through the SSH connection (a direct-tcpip
// channel to the host's loopback), so no database port needs to be reachable from where dbform runs.
// pg calls setNoDelay/connect/setKeepAlive as on a net.Socket and waits for 'connect'.
export class SshPgStream extends Duplex {
  private channel: ClientChannel | undefined;

  constructor(
    private readonly ssh: SshClient,
    private readonly port: number,
  ) {
    super();
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  connect(): this {
    this.ssh.forwardOut('127.0.0.1', 0, '127.0.0.1', this.port, (err, channel) => {
      if (err) {
        this.destroy(new Error(`cannot reach 127.0.0.1:${this.port} through SSH: ${err.message}`));
        return;
      }
      this.channel = channel;
      channel.on('data', (chunk: Buffer) => {
        if (!this.push(chunk)) channel.pause();
      });
      channel.on('end', () => this.push(null));
      channel.on('close', () => this.destroy());
      channel.on('error', (e: Error) => this.destroy(e));
      this.emit('connect');
    });
    return this;
  }

  override _read(): void {
    this.channel?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.channel) return cb(new Error('SSH channel is not open'));
    this.channel.write(chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.channel?.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.channel?.close();
    cb(err);
  }
}
