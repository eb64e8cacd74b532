import { randomBytes } from 'node:crypto';
import type { ApplyContext, Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { run } from '../../hosts/host.js';
import { sha256Hex } from '../../util/canonical.js';
import { fillEnvOrThrow } from '../../util/env-template.js';
import { shq } from '../../util/shell.js';

// Writes the backup files of an add-on on its host (atomically, root-owned, with their modes) and
// removes them when backups are disabled. The step carries each file with `{{env:NAME}}` where a credential
// goes: filled in from this run's environment, a file whose result no longer has the planned hash means the
// credentials changed since the plan, and apply stops rather than install something nobody reviewed.
export interface PlannedFile {
  content: string;
  mode: string;
  sha256: string;
}

/** Writes planned files on the host (atomically, root-owned, with their modes), refusing any whose filled-in
 *  content no longer has the planned hash. Shared with the other kinds that render files holding credentials. */
export async function installPlannedFiles(ctx: ApplyContext, planned: Record<string, PlannedFile>, what: string): Promise<void> {
  for (const [path, file] of Object.entries(planned).sort(([a], [b]) => a.localeCompare(b))) {
    if (!/^[0-7]{3}$/.test(file.mode)) throw new Error(`plan step of ${what}: bad mode for ${path}`);
    const content = fillEnvOrThrow(file.content, what);
    if (sha256Hex(content) !== file.sha256) throw new Error(`${path} would differ from the plan (config or credentials changed): run plan again`);
    await writeHostFile(ctx, path, content, file.mode);
  }
}

/** One file on the host, replaced atomically. Files such as the backup program are shared by every add-on of
 *  the host and their installs run in parallel: each write has its own temporary file, the last rename wins. */
export async function writeHostFile(ctx: ApplyContext, path: string, content: string, mode: string): Promise<void> {
  const tmp = `${path}.dbform-tmp.${process.pid}.${randomBytes(6).toString('hex')}`;
  await run(
    ctx.host,
    `writing ${path}`,
    `umask 077 && mkdir -p ${shq(path.slice(0, path.lastIndexOf('/')))} && cat > ${shq(tmp)} && chmod ${mode} ${shq(tmp)} && mv -f ${shq(tmp)} ${shq(path)}`,
    { stdin: content },
  );
}

const install: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  await installPlannedFiles(ctx, field<Record<string, PlannedFile>>(step, 'files', 'object'), `backups of ${addon}`);
};

const remove: Executor = async (step, ctx) => {
  const cron = field<string>(step, 'cronPath', 'string');
  const conf = field<string>(step, 'confDir', 'string');
  if (!/^\/etc\/cron\.d\/dbform-[a-z][a-z0-9-]*$/.test(cron) || !/\/\.backup\/[a-z][a-z0-9-]*$/.test(conf)) {
    throw new Error('plan step backups.remove: unexpected paths');
  }
  await run(ctx.host, 'removing the backup schedule', `rm -f ${shq(cron)} && rm -rf ${shq(conf)}`);
};

export const backupExecutors: Record<string, Executor> = { 'backups.install': install, 'backups.remove': remove };
