// Which pull request a push to the default branch came from: apply on merge applies only the plan that
// pull request's comment showed.

import { repoPath, type GitHubApi, type Repo } from './github-api.js';

interface PullRequest {
  number: number;
  merged_at?: string | null;
  merge_commit_sha?: string | null;
}

/** The merged pull request whose merge produced `sha` (merge, squash or rebase), if any. */
export async function mergedPullRequestOf(api: GitHubApi, repo: Repo, sha: string): Promise<number | undefined> {
  const pulls = await api.request<PullRequest[]>('GET', `${repoPath(repo)}/commits/${encodeURIComponent(sha)}/pulls`);
  const merged = pulls.filter((p) => p.merged_at);
  return (merged.find((p) => p.merge_commit_sha === sha) ?? merged[0])?.number;
}
