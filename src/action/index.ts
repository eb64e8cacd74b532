// Entry point of the GitHub Action (bundled to dist-action/index.js, see action.yml). The only file that
// imports @actions/*: it reads the inputs, runs one command, and turns its result into outputs and the
// step's status. Everything it prints goes through the CLI's redaction.

import * as core from '@actions/core';
import { ConfigError } from '../config/load.js';
import { redact } from '../util/redact.js';
import { readContext } from './context.js';
import { gitHubApi } from './github-api.js';
import { readInputs, type ActionCommand } from './inputs.js';
import type { RunDeps, RunResult } from './run.js';
import { runApply } from './run-apply.js';
import { runDrift } from './run-drift.js';
import { runPlan } from './run-plan.js';
import { registerEnvSecrets } from './secrets.js';

const COMMANDS: Record<ActionCommand, (d: RunDeps) => Promise<RunResult>> = { plan: runPlan, apply: runApply, drift: runDrift };

async function main(): Promise<void> {
  const inputs = readInputs((name) => core.getInput(name));
  registerEnvSecrets(inputs.token);
  if (inputs.workingDirectory) process.chdir(inputs.workingDirectory);
  const ctx = readContext(process.env);
  const log = { info: (m: string) => core.info(redact(m)), warning: (m: string) => core.warning(redact(m)) };
  const result = await COMMANDS[inputs.command]({ ctx, inputs, api: gitHubApi({ apiUrl: ctx.apiUrl, token: inputs.token }), log });

  core.setOutput('exitcode', String(result.exitcode));
  core.setOutput('has-changes', String(result.hasChanges));
  core.setOutput('fingerprint', result.fingerprint ?? '');
  core.setOutput('plan-file', result.planFile ?? '');
  if (result.exitcode === 1) core.setFailed(redact(result.failure ?? `dbform ${inputs.command} failed`));
}

main().catch((e: unknown) => {
  core.setOutput('exitcode', '1');
  // Config errors are FILE:LINE:COL lines already; anything else gets the command's context.
  const message = e instanceof ConfigError ? e.message : `dbform: ${e instanceof Error ? e.message : String(e)}`;
  core.setFailed(redact(message));
});
