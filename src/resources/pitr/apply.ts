import type { ApplyContext, Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { run } from '../../hosts/host.js';
import type { SecretRef } from '../../plan/types.js';
import { shellJoin, shq } from '../../util/shell.js';
import { installPlannedFiles, writeHostFile, type PlannedFile } from '../backups/apply.js';
import { CONTAINER_PGBACKREST_ETC, CONTAINER_REPO_DIR, cipherFileContent, passphraseKey } from './settings.js';

// Writes an add-on's pgBackRest settings on its host and removes them when PITR is turned off. pgBackRest runs
// inside the add-on's container as its postgres user (archive_command, base backups), so the settings are
// handed to that user (the owner of the data directory already): mode 600, in a directory mode 700.

const STATE_DIR = /^\/.+\/\.pitr\/[a-z][a-z0-9-]*$/;

/** A cluster member's passphrase: derived from the master key, so that every member has the same; kept in the
 *  host's keystore too, where gather compares it with the file and a restore elsewhere reads it. */
async function derivedPassphrase(ctx: ApplyContext, ref: SecretRef, addon: string): Promise<string> {
  if (ref.source !== 'keystore' || ref.key !== passphraseKey(addon)) throw new Error('plan step pitr.install: unexpected passphrase key');
  const value = ctx.keystore.derivedPassword(ref.key);
  if ((await ctx.keystore.get(ref.key)) !== value) await ctx.keystore.set(ref.key, value);
  return value;
}

const install: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const stateDir = field<string>(step, 'stateDir', 'string');
  const image = field<string>(step, 'image', 'string');
  if (!STATE_DIR.test(stateDir)) throw new Error('plan step pitr.install: unexpected stateDir');
  await installPlannedFiles(ctx, field<Record<string, PlannedFile>>(step, 'files', 'object'), `point-in-time recovery of ${addon}`);
  if (step.cipherPath !== undefined) {
    const path = field<string>(step, 'cipherPath', 'string');
    if (!path.startsWith(`${stateDir}/etc/`)) throw new Error('plan step pitr.install: unexpected cipherPath');
    const ref = field<SecretRef>(step, 'passphrase', 'object');
    const passphrase = step.derivePassphrase === true ? await derivedPassphrase(ctx, ref, addon) : await ctx.secret(ref);
    await writeHostFile(ctx, path, cipherFileContent(passphrase), '600');
  }
  const mounts = ['-v', `${stateDir}/etc:${CONTAINER_PGBACKREST_ETC}`];
  let chown = `chown -R postgres:postgres ${CONTAINER_PGBACKREST_ETC} && chmod 700 ${CONTAINER_PGBACKREST_ETC} ${CONTAINER_PGBACKREST_ETC}/conf.d`;
  if (step.repoDir !== undefined) {
    const repoDir = field<string>(step, 'repoDir', 'string');
    if (!/^\/[^:\0]+\/\.pgbackrest\/[a-z][a-z0-9-]*$/.test(repoDir)) throw new Error('plan step pitr.install: unexpected repoDir');
    await run(ctx.host, `preparing ${repoDir}`, `mkdir -p ${shq(repoDir)}`);
    mounts.push('-v', `${repoDir}:${CONTAINER_REPO_DIR}`);
    chown += ` && chown postgres:postgres ${CONTAINER_REPO_DIR} && chmod 700 ${CONTAINER_REPO_DIR}`;
  }
  // The container's postgres user has its own uid (the image's): let the image name it.
  await run(
    ctx.host,
    `handing the pgBackRest settings of ${addon} to its container`,
    shellJoin(['docker', 'run', '--rm', '--user', 'root', '--network', 'none', ...mounts, image, 'sh', '-c', chown]),
  );
};

const remove: Executor = async (step, ctx) => {
  const stateDir = field<string>(step, 'stateDir', 'string');
  const cron = field<string>(step, 'cronPath', 'string');
  if (!STATE_DIR.test(stateDir) || !/^\/etc\/cron\.d\/dbform-pitr-[a-z][a-z0-9-]*$/.test(cron)) {
    throw new Error('plan step pitr.remove: unexpected paths');
  }
  await run(ctx.host, 'removing the point-in-time recovery settings', `rm -f ${shq(cron)} && rm -rf ${shq(stateDir)}`);
};

export const pitrExecutors: Record<string, Executor> = { 'pitr.install': install, 'pitr.remove': remove };
