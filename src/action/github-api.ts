// A small client for the few GitHub REST endpoints the action uses, over Node's fetch. Octokit would bring
// hundreds of kilobytes into the committed bundle for six endpoints; with this, every request the action
// can make is listed in one place and the tests can serve each of them from a local HTTP server.
//
// Every string sent is passed through redact() first: plans never hold secrets by construction, and this
// is the last check before anything leaves the runner.

import { redact } from '../util/redact.js';

export interface Repo {
  owner: string;
  repo: string;
}

export interface GitHubApi {
  request<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: Record<string, unknown>): Promise<T>;
  /** All items of a list endpoint, page by page (at most MAX_PAGES pages). */
  paginate<T>(path: string): Promise<T[]>;
}

export class GitHubApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'GitHubApiError';
  }
}

const PER_PAGE = 100;
// Bounds a list walk (10,000 comments or issues): past that something is wrong, not merely long.
const MAX_PAGES = 100;
const TIMEOUT_MS = 30_000;

export function repoPath(r: Repo): string {
  return `/repos/${encodeURIComponent(r.owner)}/${encodeURIComponent(r.repo)}`;
}

function redactStrings(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(redactStrings);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactStrings(v)]));
  return value;
}

function hint(status: number): string {
  if (status === 401) return ' The token was refused: check the github-token input.';
  if (status === 403 || status === 404) {
    return ' The token may lack a permission: the workflow needs `pull-requests: write` to comment on pull requests and `issues: write` for the drift issue.';
  }
  return '';
}

export function gitHubApi(opts: { apiUrl: string; token: string }): GitHubApi {
  const base = opts.apiUrl.replace(/\/+$/, '');
  const request = async <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: Record<string, unknown>): Promise<T> => {
    const res = await fetch(base + path, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${opts.token}`,
        'user-agent': 'dbform-action',
        'x-github-api-version': '2022-11-28',
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(redactStrings(body)) : undefined,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    }).catch((e: Error) => {
      // fetch says only "fetch failed"; the reason (refused, DNS, timeout) is in its cause.
      const cause = (e.cause as Error | undefined)?.message ?? e.message;
      throw new GitHubApiError(`GitHub API ${method} ${path}: cannot reach ${base}: ${cause}`, 0);
    });
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 300);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // not JSON: keep the start of the text
      }
      throw new GitHubApiError(`GitHub API ${method} ${path}: ${res.status} ${message}.${hint(res.status)}`, res.status);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const paginate = async <T>(path: string): Promise<T[]> => {
    const items: T[] = [];
    const sep = path.includes('?') ? '&' : '?';
    for (let page = 1; page <= MAX_PAGES; page++) {
      const batch = await request<T[]>('GET', `${path}${sep}per_page=${PER_PAGE}&page=${page}`);
      items.push(...batch);
      if (batch.length < PER_PAGE) return items;
    }
    return items;
  };
  return { request, paginate };
}
