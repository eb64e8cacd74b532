import type { ApplyContext, Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { run } from '../../hosts/host.js';
import { sha256Hex } from '../../util/canonical.js';
import { shellJoin } from '../../util/shell.js';
import { writeHostFile } from '../backups/apply.js';
import { PATRONI_CURL_TLS } from '../ha/tls.js';

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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A cluster member's role from its local Patroni API: 'primary', 'replica', or null while it answers neither. */
async function memberRole(ctx: ApplyContext, container: string, apiPort: number): Promise<'primary' | 'replica' | null> {
  for (const role of ['primary', 'replica'] as const) {
    const curl = ['docker', 'exec', container, 'curl', '-sf', '-m', '2', '-o', '/dev/null', ...PATRONI_CURL_TLS, `https://127.0.0.1:${apiPort}/${role}`];
    if ((await ctx.host.exec(shellJoin(curl))).code === 0) return role;
  }
  return null;
}

/** Whether the stanza holds a good full base backup (pgBackRest reads the repository only: any member can ask). */
async function stanzaHasFull(ctx: ApplyContext, container: string, stanza: string): Promise<boolean> {
  const r = await ctx.host.exec(shellJoin(['docker', 'exec', '-u', 'postgres', container, 'pgbackrest', `--stanza=${stanza}`, '--output=json', 'info']));
  if (r.code !== 0) return false;
  const info = JSON.parse(r.stdout) as Array<{ status?: { code?: number }; backup?: Array<{ type?: string; error?: boolean }> }>;
  return info.some((s) => s.status?.code === 0 && (s.backup ?? []).some((b) => b.type === 'full' && b.error !== true));
}

/** A cluster's stanza is made by its primary (pgBackRest's stanza-create, check and backup need it). This member
 *  reports which it is; a replica waits for the primary's step (apply runs the hosts in parallel) to take the
 *  first full base backup, then records the same marker. The primary may change while it waits (this same apply
 *  restarts the members with a switchover when PITR is turned on for a running cluster), so it asks again each
 *  time, and takes the backup itself once it leads. */
async function clusterRole(ctx: ApplyContext, addon: string, container: string, stanza: string, apiPort: number): Promise<'primary' | 'replica'> {
  const deadline = Date.now() + WAIT_MS;
  let said = false;
  for (;;) {
    const role = await memberRole(ctx, container, apiPort);
    if (role === 'primary') return role;
    if (role === 'replica') {
      if (await stanzaHasFull(ctx, container, stanza)) return role;
      if (!said) ctx.progress(`waiting for the primary of ${addon} to take its first full base backup`);
      said = true;
    }
    if (Date.now() > deadline) {
      throw new Error(role === null
        ? `host ${ctx.host.name}: the member of ${addon} answers neither as primary nor as replica`
        : `host ${ctx.host.name}: no full base backup of ${addon} appeared in its repository within ${WAIT_MS / 1000} s (the primary's apply failed?)`);
    }
    await sleep(role === null ? 1000 : 2000);
  }
}

/** How long a cluster member waits for its role, and a replica for the primary's first full base backup. */
const WAIT_MS = 300_000;

const init: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const container = field<string>(step, 'container', 'string');
  const stanza = field<string>(step, 'stanza', 'string');
  const marker = field<{ path: string; content: string; sha256: string }>(step, 'marker', 'object');
  if (!/^[a-z][a-z0-9-]*$/.test(stanza) || !/\/\.pitr\/[a-z][a-z0-9-]*\/stanza\.ok$/.test(marker.path) || sha256Hex(marker.content) !== marker.sha256) {
    throw new Error('plan step pitr.init: unexpected stanza or marker');
  }
  if (step.patroniApiPort !== undefined) {
    const role = await clusterRole(ctx, addon, container, stanza, field<number>(step, 'patroniApiPort', 'number'));
    if (role === 'replica') {
      await writeHostFile(ctx, marker.path, marker.content, '600');
      return;
    }
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
