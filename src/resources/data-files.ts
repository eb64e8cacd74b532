import type { Host } from '../hosts/host.js';
import { run } from '../hosts/host.js';
import { shq } from '../util/shell.js';

// Writes a file into an add-on's data directory on the host (pg_hba.conf, TLS files), owned like the
// directory itself (the image's postgres user), atomically: PostgreSQL never reads half a file.
// Content goes through stdin, so keys never appear on a command line. Synced before and after the rename:
// PostgreSQL refuses to start on an empty server.crt, which is what a power cut leaves of an unsynced one
// (seen on the VM host, test/fleet/vm-host.sh).
export async function writeDataFile(host: Host, pgdata: string, name: string, content: string, mode = '600'): Promise<void> {
  const target = `${pgdata}/${name}`;
  const tmp = `${target}.dbform-tmp`;
  await run(
    host,
    `writing ${target}`,
    `umask 077 && cat > ${shq(tmp)} && chown --reference=${shq(pgdata)} ${shq(tmp)} && chmod ${mode} ${shq(tmp)} && sync ${shq(tmp)} && mv ${shq(tmp)} ${shq(target)} && sync ${shq(pgdata)}`,
    { stdin: content },
  );
}

export function hostPgdata(dataDir: string): string {
  return `${dataDir}/pgdata`;
}
