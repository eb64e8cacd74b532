// What every command of the action gets and gives back. index.ts turns a RunResult into the action's
// outputs and its exit status.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writePlanFile } from '../cli/plan-file.js';
import type { Plan } from '../plan/types.js';
import type { ActionContext } from './context.js';
import type { GitHubApi } from './github-api.js';
import type { ActionInputs } from './inputs.js';

export interface Log {
  info(message: string): void;
  warning(message: string): void;
}

export interface RunDeps {
  ctx: ActionContext;
  inputs: ActionInputs;
  api: GitHubApi;
  log: Log;
}

export interface RunResult {
  /** As the CLI's: 0 nothing to do or done, 1 error or refused, 2 changes or drift present. */
  exitcode: 0 | 1 | 2;
  hasChanges: boolean;
  fingerprint?: string;
  /** The plan as `dbform plan --out` saves it (no secrets): an artifact, or input to `dbform apply`. */
  planFile?: string;
  /** Why the step fails (exitcode 1). */
  failure?: string;
}

/** Saves the plan in the runner's temp directory, named after the config so several configs can coexist. */
export function savePlan(ctx: ActionContext, configPath: string, plan: Plan): string {
  mkdirSync(ctx.tempDir, { recursive: true });
  const path = join(ctx.tempDir, `dbform-${configPath.replace(/[^A-Za-z0-9._-]+/g, '_')}.plan.json`);
  writePlanFile(path, plan);
  return path;
}

export function hostFailure(hostErrors: Map<string, string>): string | undefined {
  if (hostErrors.size === 0) return undefined;
  return `could not read ${[...hostErrors.keys()].sort().join(', ')}: ${[...hostErrors.values()].join('; ')}`;
}
