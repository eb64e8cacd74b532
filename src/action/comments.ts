// Pull-request comments: the plan comment is found by its marker and updated in place, so a pull request
// carries one plan comment per config file however often it is pushed to. Apply results are new comments:
// they are a history, one per merge attempt.

import { repoPath, type GitHubApi, type Repo } from './github-api.js';
import { hasMarker, type MarkerKind } from './markers.js';

export interface IssueComment {
  id: number;
  body?: string | null;
  html_url?: string;
  user?: { login: string } | null;
}

export interface CommentTarget {
  repo: Repo;
  /** Pull request (or issue) number. */
  number: number;
  configPath: string;
  /**
   * Only comments by this login count (the identity the token posts as, `github-actions[bot]` for the
   * workflow token); empty = any author. Apply on merge trusts the comment it reads, so a marker pasted
   * by someone else must not pass for the action's own.
   */
  author: string;
}

/** The most recent comment of `kind` for this config, posted by the expected author. */
export async function findComment(api: GitHubApi, t: CommentTarget, kind: MarkerKind): Promise<IssueComment | undefined> {
  const all = await api.paginate<IssueComment>(`${repoPath(t.repo)}/issues/${t.number}/comments`);
  const mine = all.filter((c) => hasMarker(c.body, kind, t.configPath) && (!t.author || c.user?.login === t.author));
  return mine[mine.length - 1];
}

export async function upsertComment(api: GitHubApi, t: CommentTarget, kind: MarkerKind, body: string): Promise<{ comment: IssueComment; created: boolean }> {
  const existing = await findComment(api, t, kind);
  if (existing) {
    const comment = await api.request<IssueComment>('PATCH', `${repoPath(t.repo)}/issues/comments/${existing.id}`, { body });
    return { comment, created: false };
  }
  return { comment: await postComment(api, t, body), created: true };
}

export async function postComment(api: GitHubApi, t: Pick<CommentTarget, 'repo' | 'number'>, body: string): Promise<IssueComment> {
  return api.request<IssueComment>('POST', `${repoPath(t.repo)}/issues/${t.number}/comments`, { body });
}
