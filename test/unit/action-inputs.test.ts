// Inputs and GitHub context as the action reads them from the environment GitHub sets.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readContext } from '../../src/action/context.js';
import { readInputs } from '../../src/action/inputs.js';

const get = (values: Record<string, string>) => (name: string) => values[name] ?? '';

describe('readInputs', () => {
  it('applies the defaults of action.yml when an input is empty', () => {
    expect(readInputs(get({ command: 'plan', 'github-token': 't' }))).toEqual({
      command: 'plan',
      config: 'databases.yaml',
      token: 't',
      allowHazards: undefined,
      workingDirectory: undefined,
      lockTimeoutSeconds: 300,
      commentAuthor: '',
    });
  });

  it('refuses an unknown command, hazard code or lock timeout before any host is contacted', () => {
    expect(() => readInputs(get({ command: 'destroy' }))).toThrow('input command must be one of plan, apply, drift, got "destroy"');
    expect(() => readInputs(get({ command: 'apply', 'allow-hazards': 'RESTART,EVERYTHING' }))).toThrow(/unknown hazard EVERYTHING/);
    expect(() => readInputs(get({ command: 'apply', 'lock-timeout': 'soon' }))).toThrow('input lock-timeout must be a number of seconds, got soon');
  });
});

describe('readContext', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dbform-ctx-'));

  it('reads the repository, the event payload and the run link', () => {
    const eventPath = join(dir, 'event.json');
    writeFileSync(eventPath, JSON.stringify({ pull_request: { number: 3, base: { sha: 'b' }, head: { sha: 'h' } } }));
    const ctx = readContext({
      GITHUB_REPOSITORY: 'acme/fleet',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_SHA: 'm',
      GITHUB_RUN_ID: '9',
      GITHUB_API_URL: 'http://127.0.0.1:8080',
      RUNNER_TEMP: dir,
    });
    expect(ctx).toEqual({
      repo: { owner: 'acme', repo: 'fleet' },
      apiUrl: 'http://127.0.0.1:8080',
      eventName: 'pull_request',
      event: { pull_request: { number: 3, base: { sha: 'b' }, head: { sha: 'h' } } },
      sha: 'm',
      runUrl: 'https://github.com/acme/fleet/actions/runs/9',
      tempDir: dir,
    });
  });

  it('falls back to github.com and to the push payload for the commit', () => {
    const eventPath = join(dir, 'push.json');
    writeFileSync(eventPath, JSON.stringify({ after: 'abc' }));
    const ctx = readContext({ GITHUB_EVENT_PATH: eventPath });
    expect(ctx.apiUrl).toBe('https://api.github.com');
    expect(ctx.sha).toBe('abc');
    expect(ctx.repo).toBeUndefined();
  });

  it('says which payload it could not read', () => {
    expect(() => readContext({ GITHUB_EVENT_PATH: join(dir, 'missing.json') })).toThrow(/cannot read the event payload GITHUB_EVENT_PATH=.*missing\.json/);
  });
});
