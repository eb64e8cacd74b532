// The example workflows in examples/github/ are ready to copy: each runs the action with inputs it
// declares, has the permissions its command needs, and passes every secret the example config names.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLES = join(ROOT, 'examples', 'github');
const ACTION_INPUTS = Object.keys(parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')).inputs);

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

function workflow(name: string): { on: Record<string, unknown>; permissions: Record<string, string>; steps: Step[] } {
  const doc = parse(readFileSync(join(EXAMPLES, name), 'utf8'));
  const jobs = Object.values(doc.jobs) as { steps: Step[] }[];
  expect(jobs).toHaveLength(1);
  return { on: doc.on, permissions: doc.permissions, steps: jobs[0]!.steps };
}

/** The environment variables the example config reads its secrets from. */
function configSecrets(): string[] {
  const config = loadConfig(join(EXAMPLES, 'databases.yaml'));
  return [
    ...config.hosts.flatMap((h) => (h.transport === 'ssh' && h.identityEnv ? [h.identityEnv] : [])),
    ...config.storage.flatMap((s) => [s.accessKeyIdEnv, s.secretAccessKeyEnv].filter((x): x is string => Boolean(x))),
    ...config.addons.flatMap((a) => a.users.flatMap((u) => (u.passwordEnv ? [u.passwordEnv] : []))),
  ];
}

describe.each([
  ['dbform-plan.yml', 'plan', 'pull_request', 'pull-requests'],
  ['dbform-apply.yml', 'apply', 'push', 'pull-requests'],
  ['dbform-drift.yml', 'drift', 'schedule', 'issues'],
])('%s', (file, command, trigger, permission) => {
  const wf = workflow(file);
  const step = wf.steps.find((s) => s.uses?.endsWith('/dbform@v1'))!;

  it(`runs the action's ${command} command on ${trigger}`, () => {
    expect(step.with?.command).toBe(command);
    expect(Object.keys(wf.on)).toContain(trigger);
    for (const input of Object.keys(step.with ?? {})) expect(ACTION_INPUTS).toContain(input);
  });

  it(`may write ${permission} and nothing else`, () => {
    expect(wf.permissions).toEqual({ contents: 'read', [permission]: 'write' });
  });

  it('passes the master key and every secret the example config names, from repository secrets', () => {
    const needed = ['DBFORM_MASTER_KEY', ...configSecrets()];
    expect(needed).toEqual(expect.arrayContaining(['DBFORM_SSH_KEY', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY']));
    for (const name of needed) expect(step.env?.[name]).toBe(`\${{ secrets.${name} }}`);
  });
});

it('the plan workflow checks out the history, so the base commit can be read', () => {
  const checkout = workflow('dbform-plan.yml').steps.find((s) => s.uses?.startsWith('actions/checkout'));
  expect(checkout?.with?.['fetch-depth']).toBe(0);
});

describe('dbform-window.yml', () => {
  const wf = workflow('dbform-window.yml');
  const step = wf.steps.find((s) => s.uses?.endsWith('/dbform@v1'))!;

  it('runs apply on a schedule (the deferred changes, inside their windows), with inputs the action declares', () => {
    expect(step.with?.command).toBe('apply');
    expect(Object.keys(wf.on)).toEqual(expect.arrayContaining(['schedule', 'workflow_dispatch']));
    for (const input of Object.keys(step.with ?? {})) expect(ACTION_INPUTS).toContain(input);
  });

  it('posts nothing: it may only read the repository', () => {
    expect(wf.permissions).toEqual({ contents: 'read' });
  });

  it('passes the master key and every secret the example config names', () => {
    for (const name of ['DBFORM_MASTER_KEY', ...configSecrets()]) expect(step.env?.[name]).toBe(`\${{ secrets.${name} }}`);
  });

  it('the example config declares the window it serves', () => {
    expect(loadConfig(join(EXAMPLES, 'databases.yaml')).addons[0]!.maintenance.window).toBe('sun 03:00-05:00');
  });
});
