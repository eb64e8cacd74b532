import type { Host } from '../../hosts/host.js';
import { run } from '../../hosts/host.js';
import { shellJoin } from '../../util/shell.js';

// PostgreSQL 15's checkpointer computes its first sleep while the startup process still runs, and during
// recovery it does not count archive_timeout: nothing then wakes it before checkpoint_timeout (5 minutes), so the
// first partly filled WAL segment after a start can wait that long to be archived. Seen on the fleet: no segment
// switch 68 s after a start with archive_timeout 50 s, and the rows of that minute lost with the next lost disk.
// A CHECKPOINT right after the start sets its latch; from then on it sleeps at most archive_timeout. (A start
// dbform does not make, such as Docker's restart after a host reboot, is bounded by checkpoint_timeout.)
/** `before`: statements run first in the same exec (each in its own transaction), saving a round trip. */
export async function wakeCheckpointer(host: Pick<Host, 'name' | 'exec'>, container: string, port: number | string, before: readonly string[] = []): Promise<void> {
  const statements = [...before, 'CHECKPOINT'].flatMap((sql) => ['-c', sql]);
  await run(host, `a checkpoint in ${container} (so that archive_timeout counts from now)`,
    shellJoin(['docker', 'exec', container, 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '/tmp', '-p', String(port), '-U', 'postgres', '-d', 'postgres', ...statements]));
}
