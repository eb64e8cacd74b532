import { randomBytes } from 'node:crypto';
import { run } from '../../hosts/host.js';
import type { ApplyContext, Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import type { Step } from '../../plan/types.js';
import { UserError } from '../../util/errors.js';
import { registerSecret } from '../../util/redact.js';
import { createScript, decryptScript, growScript, migrateAsideScript, openScript, removeScript, restartContainerScript, rotateScript, type VolumePaths } from './scripts.js';

// Executors of the volume kind. Each reads only its step, and keys from the keystore by the names the
// step gives; keys reach the host only on a command's standard input (scripts.ts). Every executor is
// idempotent: one cut short at any point converges when the next apply runs it again.

/** The step's paths, refused unless they are what desired.ts makes (a plan file is input). */
function paths(step: Step): VolumePaths & { addon: string; keyName: string; nextKeyName: string; container: string } {
  const addon = field<string>(step, 'addon', 'string');
  const file = field<string>(step, 'file', 'string');
  const mapper = field<string>(step, 'mapper', 'string');
  const mountPoint = field<string>(step, 'mountPoint', 'string');
  const ok = /^[a-z][a-z0-9-]*$/.test(addon) && file.endsWith(`/.volumes/${addon}.luks`) && file.startsWith('/') &&
    mapper === `dbform-${addon}` && mountPoint.startsWith('/') && mountPoint.endsWith(`/${addon}`);
  if (!ok) throw new Error(`plan step ${step.type}: the volume's paths are not those of add-on ${addon}`);
  return {
    addon, file, mapper, mountPoint,
    keyName: field<string>(step, 'keyName', 'string'),
    nextKeyName: field<string>(step, 'nextKeyName', 'string'),
    container: field<string>(step, 'container', 'string'),
  };
}

/** A new volume key: 512 random bits, as base64 (what cryptsetup reads from stdin as the key). */
function freshKey(): string {
  const key = randomBytes(64).toString('base64');
  registerSecret(key);
  return key;
}

async function heldKey(ctx: ApplyContext, name: string, addon: string): Promise<string> {
  const key = await ctx.keystore.get(name);
  if (key === undefined) throw new UserError(`host ${ctx.host.name}, add-on ${addon}: the keystore holds no key ${name} for its volume`);
  return key;
}

/** Makes (or migrates onto) the volume, opens and mounts it. The key is kept before the volume is made. */
const create: Executor = async (step, ctx) => {
  const p = paths(step);
  const sizeMb = field<number>(step, 'sizeMb', 'number');
  const label = field<string>(step, 'label', 'string');
  let key = await ctx.keystore.get(p.keyName);
  if (key === undefined) {
    key = freshKey();
    await ctx.keystore.set(p.keyName, key);
  }
  if (step.migrate === true) {
    ctx.progress(`stopping ${p.addon} to move its data onto the encrypted volume`);
    await run(ctx.host, `moving the data of ${p.addon} aside`, migrateAsideScript(p, p.container));
  }
  ctx.progress(`making the encrypted volume of ${p.addon} (${sizeMb} MB, LUKS2 ${'aes-xts-plain64'})`);
  await run(ctx.host, `making the volume of ${p.addon}`, createScript(p, sizeMb, label), { stdin: `${key}\n` });
  if (step.migrate === true) await restartContainer(ctx, p);
};

async function restartContainer(ctx: ApplyContext, p: { addon: string; container: string }): Promise<void> {
  await ctx.forget(p.addon);
  await run(ctx.host, `restarting the container of ${p.addon} on its volume`, restartContainerScript(p.container));
}

/** Opens and mounts the volume (after a reboot), then restarts the container Docker started on the empty mount point. */
const open: Executor = async (step, ctx) => {
  const p = paths(step);
  const key = await heldKey(ctx, p.keyName, p.addon);
  const next = (await ctx.keystore.get(p.nextKeyName)) ?? '';
  ctx.progress(`opening the encrypted volume of ${p.addon}`);
  await run(ctx.host, `opening the volume of ${p.addon}`, openScript(p), { stdin: `${key}\n${next}\n` });
  await restartContainer(ctx, p);
};

const grow: Executor = async (step, ctx) => {
  const p = paths(step);
  const sizeMb = field<number>(step, 'sizeMb', 'number');
  const key = await heldKey(ctx, p.keyName, p.addon);
  ctx.progress(`growing the volume of ${p.addon} to ${sizeMb} MB`);
  await run(ctx.host, `growing the volume of ${p.addon}`, growScript(p, sizeMb), { stdin: `${key}\n` });
};

/**
 * Key rotation: the next key is generated and kept in the keystore before the volume learns it; once it
 * opens the volume and the old slot is gone, it becomes the key. A rotation cut short at any point resumes
 * from what the keystore and the volume say (scripts.ts, rotateScript).
 */
const rotate: Executor = async (step, ctx) => {
  const p = paths(step);
  const label = field<string>(step, 'label', 'string');
  const key = await heldKey(ctx, p.keyName, p.addon);
  let next = await ctx.keystore.get(p.nextKeyName);
  if (next === undefined) {
    next = freshKey();
    await ctx.keystore.set(p.nextKeyName, next);
  }
  ctx.progress(`rotating the key of ${p.addon}'s volume`);
  await run(ctx.host, `rotating the key of ${p.addon}'s volume`, rotateScript(p, label), { stdin: `${key}\n${next}\n` });
  await ctx.keystore.set(p.keyName, next);
  await ctx.keystore.delete(p.nextKeyName);
};

/** A volume's keys leave the keystore once the volume file is gone (never before: it could not be opened). */
async function forgetKeys(ctx: ApplyContext, p: { keyName: string; nextKeyName: string }): Promise<void> {
  await ctx.keystore.delete(p.keyName);
  await ctx.keystore.delete(p.nextKeyName);
}

/**
 * Turning encryption off, the mirror of create's migration: the container is stopped, the data copied out
 * of the volume to a plain directory at the same path, the volume closed and deleted, then its keys, and
 * the container started again on the plain directory.
 */
const decrypt: Executor = async (step, ctx) => {
  const p = paths(step);
  // Needed only if the volume is closed (a reboot since): the script opens it to copy the data out.
  const key = (await ctx.keystore.get(p.keyName)) ?? '';
  const next = (await ctx.keystore.get(p.nextKeyName)) ?? '';
  ctx.progress(`stopping ${p.addon} to copy its data out of the encrypted volume`);
  await ctx.forget(p.addon);
  await run(ctx.host, `copying the data of ${p.addon} out of its volume`, decryptScript(p, p.container), { stdin: `${key}\n${next}\n` });
  await forgetKeys(ctx, p);
  await restartContainer(ctx, p);
};

/** The volume of an add-on no longer in the file: closed and deleted with its keys (its container is gone). */
const remove: Executor = async (step, ctx) => {
  const p = paths(step);
  ctx.progress(`closing and deleting the encrypted volume of ${p.addon}`);
  await run(ctx.host, `deleting the volume of ${p.addon}`, removeScript(p));
  await forgetKeys(ctx, p);
};

export const volumeRemovalExecutors: Record<string, Executor> = { 'volume.remove': remove };

export const volumeExecutors: Record<string, Executor> = {
  'volume.create': create,
  'volume.open': open,
  'volume.grow': grow,
  'volume.rotate-key': rotate,
  'volume.decrypt': decrypt,
};
