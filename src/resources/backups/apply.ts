import type { Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { run } from '../../hosts/host.js';
import { shq } from '../../util/shell.js';

// Writes the backup files of an add-on on its host (atomically, root-owned, with their modes) and
// removes them when backups are disabled. The content comes from the add-on's desired state, rendered
// in this run: a file whose content no longer has the planned hash means the config or the credentials
// changed since the plan, and apply stops rather than install something nobody reviewed.
const install: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const planned = field<Record<string, string>>(step, 'files', 'object');
  const files = ctx.desired(addon).backups.files;
  for (const [path, sha256] of Object.entries(planned).sort(([a], [b]) => a.localeCompare(b))) {
    const file = files[path];
    if (!file || file.sha256 !== sha256) throw new Error(`${path} would differ from the plan (config or credentials changed): run plan again`);
    const tmp = `${path}.dbform-tmp.${process.pid}`;
    await run(
      ctx.host,
      `writing ${path}`,
      `umask 077 && mkdir -p ${shq(path.slice(0, path.lastIndexOf('/')))} && cat > ${shq(tmp)} && chmod ${file.mode} ${shq(tmp)} && mv -f ${shq(tmp)} ${shq(path)}`,
      { stdin: file.content },
    );
  }
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
