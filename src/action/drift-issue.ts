// The drift issue: one open issue per config file while its hosts differ from it, found by its marker
// and updated in place on each scheduled run, and closed with a comment once the drift is gone.

import { repoPath, type GitHubApi, type Repo } from './github-api.js';
import { hasMarker, normalizeConfigPath } from './markers.js';

interface Issue {
  number: number;
  body?: string | null;
  html_url?: string;
  /** Present when the "issue" is a pull request: the issues endpoint lists both. */
  pull_request?: unknown;
}

export function driftIssueTitle(configPath: string): string {
  return `dbform drift: ${normalizeConfigPath(configPath)}`;
}

export async function findDriftIssue(api: GitHubApi, repo: Repo, configPath: string): Promise<Issue | undefined> {
  const open = await api.paginate<Issue>(`${repoPath(repo)}/issues?state=open`);
  return open.find((i) => !i.pull_request && hasMarker(i.body, 'drift', configPath));
}

export async function reportDrift(api: GitHubApi, repo: Repo, configPath: string, body: string): Promise<{ issue: Issue; created: boolean }> {
  const existing = await findDriftIssue(api, repo, configPath);
  if (existing) {
    return { issue: await api.request<Issue>('PATCH', `${repoPath(repo)}/issues/${existing.number}`, { body }), created: false };
  }
  const issue = await api.request<Issue>('POST', `${repoPath(repo)}/issues`, { title: driftIssueTitle(configPath), body });
  return { issue, created: true };
}

/** Closes the open drift issue, if any, saying why; returns its number. */
export async function closeDrift(api: GitHubApi, repo: Repo, configPath: string, comment: string): Promise<number | undefined> {
  const existing = await findDriftIssue(api, repo, configPath);
  if (!existing) return undefined;
  await api.request('POST', `${repoPath(repo)}/issues/${existing.number}/comments`, { body: comment });
  await api.request('PATCH', `${repoPath(repo)}/issues/${existing.number}`, { state: 'closed', state_reason: 'completed' });
  return existing.number;
}
