import type { Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { run } from '../../hosts/host.js';
import { sha256Hex } from '../../util/canonical.js';
import { shellJoin } from '../../util/shell.js';
import { writeHostFile } from '../backups/apply.js';

// Creates the add-on's stanza (idempotent: pgBackRest accepts an existing stanza of the same cluster), checks
// that a WAL segment reaches the repository, takes the first full base backup, and only then writes the
// marker: an apply stopped anywhere before runs all of it again.

const init: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const container = field<string>(step, 'container', 'string');
  const stanza = field<string>(step, 'stanza', 'string');
  const marker = field<{ path: string; content: string; sha256: string }>(step, 'marker', 'object');
  if (!/^[a-z][a-z0-9-]*$/.test(stanza) || !/\/\.pitr\/[a-z][a-z0-9-]*\/stanza\.ok$/.test(marker.path) || sha256Hex(marker.content) !== marker.sha256) {
    throw new Error('plan step pitr.init: unexpected stanza or marker');
  }
  const pgbackrest = (...args: string[]) => shellJoin(['docker', 'exec', '-u', 'postgres', container, 'pgbackrest', `--stanza=${stanza}`, ...args]);
  ctx.progress(`creating the pgBackRest stanza of ${addon}`);
  await run(ctx.host, `pgbackrest stanza-create for ${addon}`, pgbackrest('stanza-create'));
  await run(ctx.host, `pgbackrest check for ${addon} (a WAL segment archived)`, pgbackrest('check'));
  ctx.progress(`taking the first full base backup of ${addon}`);
  const t0 = Date.now();
  await run(ctx.host, `the first full base backup of ${addon}`, pgbackrest('--type=full', 'backup'));
  ctx.progress(`first full base backup of ${addon} taken in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await writeHostFile(ctx, marker.path, marker.content, '600');
};

export const pitrBaseExecutors: Record<string, Executor> = { 'pitr.init': init };
