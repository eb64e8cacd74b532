// The action's GitHub calls against a local server that speaks the same REST endpoints (FakeGitHub):
// the plan comment is created once and then updated in place, the drift issue is opened, updated and
// closed, the merged pull request is found from a commit, and no secret is ever in a request body.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findComment, postComment, upsertComment, type CommentTarget } from '../../src/action/comments.js';
import { closeDrift, driftIssueTitle, reportDrift } from '../../src/action/drift-issue.js';
import { gitHubApi, GitHubApiError } from '../../src/action/github-api.js';
import { marker } from '../../src/action/markers.js';
import { mergedPullRequestOf } from '../../src/action/pulls.js';
import { registerSecret } from '../../src/util/redact.js';
import { FakeGitHub } from './action-fake-github.js';

let gh: FakeGitHub;
const repo = { owner: 'acme', repo: 'fleet' };
const api = () => gitHubApi({ apiUrl: gh.url, token: gh.token });
const target = (number: number, author = 'github-actions[bot]'): CommentTarget => ({ repo, number, configPath: 'databases.yaml', author });
const planBody = (text: string) => `${marker('plan', 'databases.yaml')}\n${text}`;

beforeAll(async () => {
  gh = await new FakeGitHub().start();
});
afterAll(() => gh.close());
afterEach(() => {
  gh.requests.length = 0;
});

describe('plan comment', () => {
  it('is created by the first run and updated in place by the second', async () => {
    const first = await upsertComment(api(), target(1), 'plan', planBody('first plan'));
    const second = await upsertComment(api(), target(1), 'plan', planBody('second plan'));
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.comment.id).toBe(first.comment.id);
    expect(gh.comments.get(1)!.map((c) => c.body)).toEqual([planBody('second plan')]);
    expect(gh.writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /repos/acme/fleet/issues/1/comments',
      `PATCH /repos/acme/fleet/issues/comments/${first.comment.id}`,
    ]);
  });

  it('keeps one comment per config file', async () => {
    await upsertComment(api(), target(2), 'plan', planBody('a'));
    await upsertComment(api(), { ...target(2), configPath: 'staging/databases.yaml' }, 'plan', `${marker('plan', 'staging/databases.yaml')}\nb`);
    await upsertComment(api(), { ...target(2), configPath: './staging/databases.yaml' }, 'plan', `${marker('plan', 'staging/databases.yaml')}\nc`);
    expect(gh.comments.get(2)!.map((c) => c.body.split('\n')[1])).toEqual(['a', 'c']);
  });

  it('ignores a marker posted by someone else, or quoted in a reply', async () => {
    gh.addComment(3, planBody('pasted by a user'), 'mallory');
    gh.addComment(3, `> ${planBody('quoted')}`, 'github-actions[bot]');
    expect(await findComment(api(), target(3), 'plan')).toBeUndefined();
    const { created } = await upsertComment(api(), target(3), 'plan', planBody('the real one'));
    expect(created).toBe(true);
    expect(gh.comments.get(3)![0]!.body).toBe(planBody('pasted by a user'));
    // With no expected author (a workflow that posts with a personal token), any author counts.
    expect((await findComment(api(), target(3, ''), 'plan'))?.body).toBe(planBody('the real one'));
  });

  it('finds its comment behind pages of other comments', async () => {
    for (let i = 0; i < 230; i++) gh.addComment(4, `comment ${i}`, 'reviewer');
    const posted = await postComment(api(), target(4), planBody('plan'));
    gh.requests.length = 0;
    expect((await findComment(api(), target(4), 'plan'))?.id).toBe(posted.id);
    expect(gh.requests.map((r) => r.path)).toEqual([1, 2, 3].map((p) => `/repos/acme/fleet/issues/4/comments?per_page=100&page=${p}`));
  });
});

describe('merged pull request of a commit', () => {
  it('is the merged pull request whose merge made the commit', async () => {
    gh.pullsByCommit.set('abc123', [
      { number: 10, merged_at: null, merge_commit_sha: null },
      { number: 11, merged_at: '2025-01-01T00:00:00Z', merge_commit_sha: 'fff000' },
      { number: 12, merged_at: '2025-01-02T00:00:00Z', merge_commit_sha: 'abc123' },
    ]);
    expect(await mergedPullRequestOf(api(), repo, 'abc123')).toBe(12);
    expect(gh.requests.map((r) => r.path)).toEqual(['/repos/acme/fleet/commits/abc123/pulls']);
  });

  it('is none for a commit pushed without a merged pull request', async () => {
    gh.pullsByCommit.set('def456', [{ number: 13, merged_at: null, merge_commit_sha: null }]);
    expect(await mergedPullRequestOf(api(), repo, 'def456')).toBeUndefined();
    expect(await mergedPullRequestOf(api(), repo, '0123456')).toBeUndefined();
  });
});

describe('drift issue', () => {
  const body = (text: string) => `${marker('drift', 'databases.yaml')}\n${text}`;

  it('is opened once, updated in place, and closed with a comment when the drift is gone', async () => {
    // A pull request in the issue list carrying the same marker must not be taken for the issue.
    gh.addIssue({ number: 50, title: 'a pull request', body: body('not an issue'), pull_request: { url: 'x' } });
    const opened = await reportDrift(api(), repo, 'databases.yaml', body('drift 1'));
    const updated = await reportDrift(api(), repo, 'databases.yaml', body('drift 2'));
    expect(opened.created).toBe(true);
    expect(updated.created).toBe(false);
    expect(updated.issue.number).toBe(opened.issue.number);
    const issue = gh.issues.find((i) => i.number === opened.issue.number)!;
    expect(issue).toMatchObject({ title: driftIssueTitle('databases.yaml'), body: body('drift 2'), state: 'open' });
    expect(issue.title).toBe('dbform drift: databases.yaml');

    expect(await closeDrift(api(), repo, 'databases.yaml', 'The drift is gone.')).toBe(opened.issue.number);
    expect(issue.state).toBe('closed');
    expect(issue.state_reason).toBe('completed');
    expect(gh.comments.get(issue.number)!.map((c) => c.body)).toEqual(['The drift is gone.']);

    // Drift again later: a new issue, the closed one stays closed.
    const again = await reportDrift(api(), repo, 'databases.yaml', body('drift 3'));
    expect(again.created).toBe(true);
    expect(again.issue.number).not.toBe(opened.issue.number);
    await closeDrift(api(), repo, 'databases.yaml', 'gone');
  });

  it('closing without an open issue sends nothing', async () => {
    expect(await closeDrift(api(), repo, 'databases.yaml', 'gone')).toBeUndefined();
    expect(gh.writes()).toEqual([]);
  });
});

describe('requests', () => {
  it('carry the token in the Authorization header only, and never a registered secret in a body', async () => {
    const canary = 'canary-Pw-"quoted"\\-7d1e9f';
    registerSecret(canary);
    await postComment(api(), target(20), planBody(`a message that echoes ${canary} by mistake`));
    expect(gh.requests[0]!.authorization).toBe(`Bearer ${gh.token}`);
    expect(gh.sentBodies()).not.toContain(gh.token);
    expect(gh.sentBodies()).not.toContain('canary-Pw');
    expect(gh.comments.get(20)![0]!.body).toContain('echoes *** by mistake');
  });

  it('fail with the status, GitHub\'s message and what to check', async () => {
    const bad = gitHubApi({ apiUrl: gh.url, token: 'wrong' });
    const e = await postComment(bad, target(21), 'x').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(GitHubApiError);
    expect((e as GitHubApiError).status).toBe(401);
    expect((e as Error).message).toBe('GitHub API POST /repos/acme/fleet/issues/21/comments: 401 Bad credentials. The token was refused: check the github-token input.');
    await expect(api().request('GET', '/repos/acme/other/issues')).rejects.toThrow(/404 Not Found\. The token may lack a permission: .*pull-requests: write/);
  });

  it('say which address could not be reached', async () => {
    // A port that was just free: nothing listens there.
    const probe = await new FakeGitHub().start();
    await probe.close();
    const down = gitHubApi({ apiUrl: probe.url, token: 't' });
    await expect(down.request('GET', '/repos/acme/fleet/issues')).rejects.toThrow(
      new RegExp(`^GitHub API GET /repos/acme/fleet/issues: cannot reach ${probe.url}: .*ECONNREFUSED`),
    );
  });
});
