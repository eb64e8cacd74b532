import type { Readable, Writable } from 'node:stream';
import type { HeldCommand } from './host.js';

// Shared by both transports: reads the first line a held command prints and releases it by closing
// its stdin. `exited` resolves with the exit code once the command ends.
export function heldCommand(stdin: Writable, stdout: Readable, exited: Promise<number>): HeldCommand {
  let buffered = '';
  const firstLine = new Promise<{ line: string } | { exit: number; output: string }>((resolve) => {
    const onData = (d: Buffer) => {
      buffered += d.toString('utf8');
      const nl = buffered.indexOf('\n');
      if (nl >= 0) {
        stdout.off('data', onData);
        stdout.resume(); // keep draining so the command never blocks on a full pipe
        resolve({ line: buffered.slice(0, nl) });
      }
    };
    stdout.on('data', onData);
    void exited.then((exit) => resolve({ exit, output: buffered }));
  });
  return {
    firstLine,
    async release() {
      stdin.end();
      await exited;
    },
  };
}
