import type { Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { run } from '../../hosts/host.js';
import { sha256Hex } from '../../util/canonical.js';
import { shellJoin } from '../../util/shell.js';
import { writeHostFile } from '../backups/apply.js';

// Creates the add-on's stanza (idempotent: pgBackRest accepts an existing stanza of the same cluster), checks
// that a WAL segment reaches the repository, takes the first full base backup, and only then writes the
// marker: an apply stopped anywhere before runs all of it again.

/** What pgBackRest says when the repository already holds a stanza of another cluster or passphrase. */
const FOREIGN_STANZA = /FormatError|CryptoError|do not match the database|system-id/;

// A removed add-on's repository is kept (backups are never deleted with it); an add-on created again with
// the same name is a new cluster with a new passphrase, which pgBackRest rightly refuses to mix in.
function foreignStanza(addon: string, said: string): string {
  return `the PITR repository of ${addon} already holds backups of another cluster named ${addon} (an earlier add-on of ` +
    `that name, kept when it was removed, or one made with another passphrase). dbform never deletes them: move ` +
    `them out of the storage's .pgbackrest/${addon} (or give the add-on another name), then apply again. ${said}`;
}

const init: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const container = field<string>(step, 'container', 'string');
  const stanza = field<string>(step, 'stanza', 'string');
  const marker = field<{ path: string; content: string; sha256: string }>(step, 'marker', 'object');
  if (!/^[a-z][a-z0-9-]*$/.test(stanza) || !/\/\.pitr\/[a-z][a-z0-9-]*\/stanza\.ok$/.test(marker.path) || sha256Hex(marker.content) !== marker.sha256) {
    throw new Error('plan step pitr.init: unexpected stanza or marker');
  }
  const pgbackrest = (...args: string[]) => shellJoin(['docker', 'exec', '-u', 'postgres', container, 'pgbackrest', `--stanza=${stanza}`, ...args]);
  if (step.stanzaUpgrade === true) {
    // Planned only from the marker of the same repository at an older major version (pitr-base/diff.ts).
    ctx.progress(`upgrading the pgBackRest stanza of ${addon} to its new PostgreSQL version`);
    await run(ctx.host, `pgbackrest stanza-upgrade for ${addon}`, pgbackrest('stanza-upgrade'));
  } else {
    ctx.progress(`creating the pgBackRest stanza of ${addon}`);
    await run(ctx.host, `pgbackrest stanza-create for ${addon}`, pgbackrest('stanza-create')).catch((e: Error) => {
      throw FOREIGN_STANZA.test(e.message) ? new Error(foreignStanza(addon, e.message)) : e;
    });
  }
  await run(ctx.host, `pgbackrest check for ${addon} (a WAL segment archived)`, pgbackrest('check'));
  ctx.progress(`taking the first full base backup of ${addon}`);
  const t0 = Date.now();
  await run(ctx.host, `the first full base backup of ${addon}`, pgbackrest('--type=full', 'backup'));
  ctx.progress(`first full base backup of ${addon} taken in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await writeHostFile(ctx, marker.path, marker.content, '600');
};

export const pitrBaseExecutors: Record<string, Executor> = { 'pitr.init': init };
