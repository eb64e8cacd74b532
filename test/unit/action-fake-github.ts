// A local stand-in for the GitHub REST endpoints the action uses, on 127.0.0.1 (GitHub itself is not
// reachable from the tests). It keeps comments and issues in memory, answers with the fields the action
// reads, and records every request so tests can check what was sent, and that no secret was.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  body: string;
}

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string };
  html_url: string;
}

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  state_reason?: string;
  pull_request?: { url: string };
  html_url: string;
}

export interface FakePull {
  number: number;
  merged_at: string | null;
  merge_commit_sha: string | null;
}

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  /** Issue or pull request number -> its comments, oldest first. */
  readonly comments = new Map<number, FakeComment[]>();
  readonly issues: FakeIssue[] = [];
  /** Commit sha -> the pull requests GitHub associates with it. */
  readonly pullsByCommit = new Map<string, FakePull[]>();
  /** Who the token posts as. */
  login = 'github-actions[bot]';
  private nextId = 1000;
  private server?: Server;
  url = '';

  constructor(
    readonly owner = 'acme',
    readonly repo = 'fleet',
    readonly token = 'ghs_fake_token_for_tests_0001',
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** A comment by someone else (a reviewer, or a user pasting a marker). */
  addComment(number: number, body: string, login: string): FakeComment {
    const c = { id: this.nextId++, body, user: { login }, html_url: `https://github.test/${this.owner}/${this.repo}/pull/${number}#c` };
    this.comments.set(number, [...(this.comments.get(number) ?? []), c]);
    return c;
  }

  addIssue(issue: Omit<FakeIssue, 'html_url' | 'state'> & { state?: 'open' | 'closed' }): FakeIssue {
    const full: FakeIssue = { state: 'open', ...issue, html_url: `https://github.test/${this.owner}/${this.repo}/issues/${issue.number}` };
    this.issues.push(full);
    return full;
  }

  /** Everything sent in request bodies, for the secret checks. */
  sentBodies(): string {
    return this.requests.map((r) => r.body).join('\n');
  }

  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, authorization: req.headers.authorization, body });
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(data));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, { message: 'Bad credentials' });
    const parsed = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    const route = this.route(req.method ?? '', url.pathname, parsed);
    if (!route) return send(404, { message: 'Not Found' });
    const [status, data] = route;
    send(status, Array.isArray(data) ? page(data, url) : data);
  }

  private route(method: string, path: string, body: Record<string, unknown>): [number, unknown] | undefined {
    const prefix = `/repos/${this.owner}/${this.repo}`;
    if (!path.startsWith(prefix + '/')) return undefined;
    const rest = path.slice(prefix.length);
    let m: RegExpExecArray | null;
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const n = Number(m[1]);
      if (method === 'GET') return [200, this.comments.get(n) ?? []];
      if (method === 'POST') return [201, this.addComment(n, String(body.body), this.login)];
    }
    if ((m = /^\/issues\/comments\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      const c = [...this.comments.values()].flat().find((x) => x.id === Number(m![1]));
      if (!c) return undefined;
      // GitHub lets a token edit only its own comments.
      if (c.user.login !== this.login) return [403, { message: 'Resource not accessible by integration' }];
      c.body = String(body.body);
      return [200, c];
    }
    if ((m = /^\/commits\/([0-9a-f]+)\/pulls$/.exec(rest)) && method === 'GET') return [200, this.pullsByCommit.get(m[1]!) ?? []];
    if (rest === '/issues' && method === 'GET') return [200, this.issues.filter((i) => i.state === 'open')];
    if (rest === '/issues' && method === 'POST') {
      const number = Math.max(0, ...this.issues.map((i) => i.number)) + 1;
      return [201, this.addIssue({ number, title: String(body.title), body: String(body.body) })];
    }
    if ((m = /^\/issues\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      const issue = this.issues.find((i) => i.number === Number(m![1]));
      if (!issue) return undefined;
      Object.assign(issue, body);
      return [200, issue];
    }
    return undefined;
  }
}

function page<T>(items: T[], url: URL): T[] {
  const perPage = Number(url.searchParams.get('per_page') ?? 30);
  const n = Number(url.searchParams.get('page') ?? 1);
  return items.slice((n - 1) * perPage, n * perPage);
}
