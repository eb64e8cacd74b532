// What GitHub tells a running action, read from the environment it sets (GITHUB_*, RUNNER_TEMP) and from
// the event payload file. Read once, typed, so the commands never touch process.env themselves.

import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { UserError } from '../util/errors.js';
import type { Repo } from './github-api.js';

/** The fields of the pull_request and push payloads the action reads. */
export interface GitHubEvent {
  pull_request?: {
    number: number;
    merged?: boolean;
    base: { sha: string };
    head: { sha: string };
  };
  /** push: the commit the branch now points at. */
  after?: string;
}

export interface ActionContext {
  repo?: Repo;
  apiUrl: string;
  eventName: string;
  event: GitHubEvent;
  /** The commit the workflow runs on (for a push to main: the merge commit). */
  sha: string;
  /** Link to this workflow run, for comments and issues. */
  runUrl?: string;
  tempDir: string;
}

export function readContext(env: NodeJS.ProcessEnv): ActionContext {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  const serverUrl = env.GITHUB_SERVER_URL ?? 'https://github.com';
  let event: GitHubEvent = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as GitHubEvent;
    } catch (e) {
      throw new UserError(`cannot read the event payload GITHUB_EVENT_PATH=${env.GITHUB_EVENT_PATH}: ${(e as Error).message}`);
    }
  }
  return {
    repo: owner && repo ? { owner, repo } : undefined,
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    eventName: env.GITHUB_EVENT_NAME ?? '',
    event,
    sha: env.GITHUB_SHA ?? event.after ?? '',
    runUrl: env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID ? `${serverUrl}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
    tempDir: env.RUNNER_TEMP || tmpdir(),
  };
}

export function requireRepo(ctx: ActionContext): Repo {
  if (!ctx.repo) throw new UserError('GITHUB_REPOSITORY is not set (owner/name): the action must run in a GitHub workflow');
  return ctx.repo;
}
