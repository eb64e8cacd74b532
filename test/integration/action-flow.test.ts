// The GitHub Action end to end, run from its committed bundle (dist-action/index.js) the way GitHub runs
// it: inputs in INPUT_* variables, the event payload in GITHUB_EVENT_PATH, outputs in GITHUB_OUTPUT, and
// GITHUB_API_URL pointing at a local server that speaks the REST endpoints (FakeGitHub). The fleet is a
// real add-on on the local Docker engine (a `transport: local` host), and the repository a real git
// repository with a base and a head commit.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../unit/action-fake-github.js';
import { Workspace, psqlByHand } from './harness.js';

const BUNDLE = fileURLToPath(new URL('../../dist-action/index.js', import.meta.url));
const CANARY = 'canary-Pw-gh-4c8e2a';
const PORT = 32201;
const PR = 7;
const MERGE_SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const BASE_CONFIG = `version: 1
hosts:
  local:
    transport: local
    dataDir: $DATA_DIR
addons:
  gh-shop:
    plan: postgresql-sandbox
    version: "15"
    host: local
    port: ${PORT}
    users:
      reporting:
        access: read-only
        passwordEnv: GH_REPORTING_PASSWORD
`;
// The pull request adds a read-only user.
const HEAD_CONFIG = `${BASE_CONFIG}      analyst:
        access: read-only
`;

interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

const ws = new Workspace();
const gh = new FakeGitHub();
const secrets = () => [CANARY, ws.env.DBFORM_MASTER_KEY!];
const stdouts: string[] = [];
let baseSha = '';
let headSha = '';
let runs = 0;

function git(...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=dbform-test', '-c', 'user.email=test@dbform.invalid', ...args], { cwd: ws.dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** GitHub writes outputs as `name<<DELIMITER\nvalue\nDELIMITER`. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const m of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) outputs[m[1]!] = m[3]!;
  return outputs;
}

/** Runs the bundled action as GitHub would, with every input set (GitHub passes the defaults too). */
async function runAction(command: string, eventName: string, event: object, sha: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
  const n = ++runs;
  const eventPath = join(ws.dir, `event-${n}.json`);
  const outputPath = join(ws.dir, `output-${n}`);
  writeFileSync(eventPath, JSON.stringify(event));
  writeFileSync(outputPath, '');
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GITHUB_|INPUT_|RUNNER_)/.test(k)));
  const env = {
    ...inherited,
    ...ws.env,
    GH_REPORTING_PASSWORD: CANARY,
    INPUT_COMMAND: command,
    INPUT_CONFIG: 'databases.yaml',
    'INPUT_GITHUB-TOKEN': gh.token,
    'INPUT_ALLOW-HAZARDS': '',
    'INPUT_WORKING-DIRECTORY': ws.dir,
    'INPUT_LOCK-TIMEOUT': '60',
    'INPUT_COMMENT-AUTHOR': 'github-actions[bot]',
    ...inputs,
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: 'acme/fleet',
    GITHUB_API_URL: gh.url,
    GITHUB_SERVER_URL: 'https://github.test',
    GITHUB_SHA: sha,
    GITHUB_RUN_ID: String(1000 + n),
    GITHUB_OUTPUT: outputPath,
    RUNNER_TEMP: join(ws.dir, 'runner-temp'),
  };
  // Not spawnSync: the fake GitHub server answers from this process's event loop.
  const child = spawn(process.execPath, [BUNDLE], { env, cwd: tmpdir() });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  stdouts.push(stdout, stderr);
  return { code, stdout, stderr, outputs: parseOutputs(readFileSync(outputPath, 'utf8')) };
}

const prEvent = () => ({ pull_request: { number: PR, merged: false, base: { sha: baseSha }, head: { sha: headSha } } });
const planOnPr = () => runAction('plan', 'pull_request', prEvent(), headSha);
const applyOnMerge = (inputs: Record<string, string> = {}) => runAction('apply', 'push', { after: MERGE_SHA }, MERGE_SHA, inputs);
const driftCheck = () => runAction('drift', 'schedule', {}, MERGE_SHA);

const prComments = () => gh.comments.get(PR) ?? [];
const planComments = () => prComments().filter((c) => c.body.startsWith('<!-- dbform:plan:databases.yaml -->'));
const applyComments = () => prComments().filter((c) => c.body.startsWith('<!-- dbform:apply:databases.yaml -->'));
const roleExists = (name: string) => psqlByHand('gh-shop', PORT, 'postgres', `SELECT count(*) FROM pg_roles WHERE rolname = '${name}'`) === '1';

/** Addresses in the table under a heading of the plan comment. */
function tableUnder(body: string, heading: string): string[] {
  const start = body.indexOf(`#### ${heading}`);
  if (start < 0) return [];
  return body
    .slice(start)
    .split(/\n#### |\n<details>/)[0]!
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => l.split(' | ')[1]!);
}

beforeAll(async () => {
  await gh.start();
  gh.pullsByCommit.set(MERGE_SHA, [{ number: PR, merged_at: '2025-06-01T10:00:00Z', merge_commit_sha: MERGE_SHA }]);
  mkdirSync(ws.dir, { recursive: true });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(ws.dir, '.gitignore'), 'data/\nxdg/\nrunner-temp/\nevent-*\noutput-*\n');
  ws.write(BASE_CONFIG);
  git('add', '.');
  git('commit', '-q', '-m', 'base');
  baseSha = git('rev-parse', 'HEAD');

  // main is applied; then someone makes the reporting user a superuser by hand: drift already there.
  const applied = ws.run(['apply', '--auto-approve'], { GH_REPORTING_PASSWORD: CANARY });
  expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  psqlByHand('gh-shop', PORT, 'postgres', 'ALTER ROLE reporting SUPERUSER');

  ws.write(HEAD_CONFIG);
  git('commit', '-q', '-am', 'add analyst');
  headSha = git('rev-parse', 'HEAD');
});

afterAll(async () => {
  await gh.close();
  ws.cleanup(['gh-shop']);
});

describe('GitHub Action from its bundle', () => {
  let reviewed = '';

  it('plan on a pull request posts one comment: the pull request\'s change apart from the drift', async () => {
    const r = await planOnPr();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs).toMatchObject({ exitcode: '2', 'has-changes': 'true' });
    expect(r.outputs.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    reviewed = r.outputs.fingerprint!;
    expect(existsSync(r.outputs['plan-file']!)).toBe(true);
    expect(readFileSync(r.outputs['plan-file']!, 'utf8')).toContain('"kind": "dbform-plan"');

    expect(planComments()).toHaveLength(1);
    const body = planComments()[0]!.body;
    expect(tableUnder(body, 'Changes made by this pull request')).toEqual(['addon.gh-shop.user.analyst', 'addon.gh-shop.grants.analyst']);
    expect(tableUnder(body, 'Drift already on the hosts')).toEqual(['addon.gh-shop.user.reporting']);
    expect(body).toContain(`<!-- dbform:fingerprint:${r.outputs.fingerprint} -->`);
    expect(body).toContain(`at ${headSha.slice(0, 7)}`);
  });

  it('a second run updates the same comment in place', async () => {
    const id = planComments()[0]!.id;
    const before = gh.writes().length;
    const r = await planOnPr();
    expect(r.code, r.stderr).toBe(0);
    expect(r.outputs.fingerprint).toBe(reviewed);
    expect(prComments()).toHaveLength(1);
    expect(planComments()[0]!.id).toBe(id);
    expect(gh.writes().slice(before).map((w) => `${w.method} ${w.path}`)).toEqual([`PATCH /repos/acme/fleet/issues/comments/${id}`]);
  });

  it('apply on merge is refused when the live state changed after the comment', async () => {
    psqlByHand('gh-shop', PORT, 'postgres', 'ALTER ROLE "gh-shop" CREATEDB');
    const r = await applyOnMerge();
    expect(r.code).toBe(1);
    expect(r.outputs.exitcode).toBe('1');
    expect(r.stdout).toMatch(/::error::Apply refused. The plan is not the one this pull request showed/);
    expect(applyComments()).toHaveLength(1);
    const body = applyComments()[0]!.body;
    expect(body).toContain('### dbform apply of databases.yaml: refused');
    expect(body).toContain(`fingerprint ${reviewed} was reviewed, the plan is now ${r.outputs.fingerprint}`);
    expect(body).toContain('addon.gh-shop.user.gh-shop');
    // Nothing was applied.
    expect(roleExists('analyst')).toBe(false);
    expect(psqlByHand('gh-shop', PORT, 'postgres', `SELECT rolsuper FROM pg_roles WHERE rolname = 'reporting'`)).toBe('t');
  });

  it('apply on merge runs the plan the comment shows when nothing changed since', async () => {
    const replanned = await planOnPr();
    expect(replanned.outputs.fingerprint).not.toBe(reviewed);
    expect(planComments()).toHaveLength(1);

    const r = await applyOnMerge();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs).toMatchObject({ exitcode: '0', fingerprint: replanned.outputs.fingerprint });
    const body = applyComments()[1]!.body;
    expect(body).toContain('### dbform apply of databases.yaml: applied');
    // The pull request's user and its grants, and the two users changed by hand.
    expect(body).toMatch(/:white_check_mark: Apply complete: 4 changes/);
    expect(body).toContain(`fingerprint \`${replanned.outputs.fingerprint}\``);
    expect(roleExists('analyst')).toBe(true);
    expect(psqlByHand('gh-shop', PORT, 'postgres', `SELECT rolsuper FROM pg_roles WHERE rolname = 'reporting'`)).toBe('f');
    expect(ws.run(['plan', '--detailed-exitcode'], { GH_REPORTING_PASSWORD: CANARY }).code).toBe(0);
  });

  it('apply refuses a commit that no merged pull request made', async () => {
    const r = await runAction('apply', 'push', {}, 'ffffffffffffffffffffffffffffffffffffffff');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('does not come from a merged pull request');
  });

  it('drift: no issue while the hosts match, one issue while they differ, closed when repaired', async () => {
    const clean = await driftCheck();
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.outputs).toMatchObject({ exitcode: '0', 'has-changes': 'false' });
    expect(gh.issues).toEqual([]);

    psqlByHand('gh-shop', PORT, 'postgres', 'ALTER ROLE analyst CREATEROLE');
    const found = await driftCheck();
    expect(found.code, found.stderr).toBe(0);
    expect(found.outputs).toMatchObject({ exitcode: '2', 'has-changes': 'true' });
    expect(gh.issues).toHaveLength(1);
    expect(gh.issues[0]).toMatchObject({ title: 'dbform drift: databases.yaml', state: 'open' });
    expect(gh.issues[0]!.body).toContain('| `~` | addon.gh-shop.user.analyst | update |');

    await driftCheck();
    expect(gh.issues).toHaveLength(1);

    expect(ws.run(['apply', '--auto-approve'], { GH_REPORTING_PASSWORD: CANARY }).code).toBe(0);
    const repaired = await driftCheck();
    expect(repaired.outputs.exitcode).toBe('0');
    expect(gh.issues[0]!.state).toBe('closed');
    expect(gh.comments.get(gh.issues[0]!.number)![0]!.body).toMatch(/^The drift is gone/);
  });

  it('never sends or prints a secret', () => {
    expect(gh.requests.length).toBeGreaterThan(10);
    const bodies = gh.sentBodies();
    const printed = stdouts.join('\n') + ws.transcript.join('\n');
    for (const secret of secrets()) {
      expect(bodies).not.toContain(secret);
      expect(printed).not.toContain(secret);
    }
    expect(bodies).not.toContain(gh.token);
    expect(gh.requests.every((r) => r.authorization === `Bearer ${gh.token}`)).toBe(true);
  });
});
