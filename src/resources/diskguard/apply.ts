import type { Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import { installPlannedFiles, type PlannedFile } from '../backups/apply.js';

// Writes the guard's program, settings and cron file (atomically, root-owned). Only paths the guard owns.
const GUARD_PATH = /^(\/.+\/\.bin\/dbform-diskguard|\/.+\/\.diskguard\/[a-z][a-z0-9-]*\/guard\.env|\/etc\/cron\.d\/dbform_disk-[a-z][a-z0-9-]*)$/;

const install: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const files = field<Record<string, PlannedFile>>(step, 'files', 'object');
  for (const path of Object.keys(files)) if (!GUARD_PATH.test(path)) throw new Error(`plan step diskguard.install: unexpected path ${path}`);
  await installPlannedFiles(ctx, files, `disk-full guard of ${addon}`);
};

export const diskGuardExecutors: Record<string, Executor> = { 'diskguard.install': install };
