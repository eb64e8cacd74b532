// The config as the pull request's base commit has it, read with git (simple-git) from the checkout the
// workflow made. actions/checkout fetches one commit by default; the base is then fetched on demand
// (or the workflow checks out with fetch-depth: 0).

import { simpleGit } from 'simple-git';
import type { BaseState } from './split.js';
import { planFleet } from '../cli/commands/plan.js';
import type { Plan } from '../plan/types.js';
import { loadActionConfig } from './config.js';

export type FileAtCommit = { kind: 'text'; text: string } | { kind: 'missing' } | { kind: 'unavailable'; reason: string };

/** `path` is relative to `cwd` (the working directory), as the config input is. */
export async function readFileAtCommit(cwd: string, sha: string, path: string): Promise<FileAtCommit> {
  const git = simpleGit({ baseDir: cwd });
  const hasCommit = async () => git.raw(['cat-file', '-e', `${sha}^{commit}`]).then(() => true, () => false);
  if (!(await hasCommit())) {
    await git.raw(['fetch', '--no-tags', '--depth=1', 'origin', sha]).catch(() => undefined);
    if (!(await hasCommit())) {
      return { kind: 'unavailable', reason: `commit ${sha.slice(0, 7)} is not in this clone and could not be fetched; check out with \`fetch-depth: 0\`` };
    }
  }
  try {
    // "./" makes git read the path relative to the working directory, not the repository root.
    return { kind: 'text', text: await git.show([`${sha}:./${path.replace(/^\.\//, '')}`]) };
  } catch (e) {
    const message = (e as Error).message;
    if (/does not exist in|exists on disk, but not in/.test(message)) return { kind: 'missing' };
    return { kind: 'unavailable', reason: `git show ${sha.slice(0, 7)}:${path} failed: ${message.trim().split('\n')[0]}` };
  }
}

/** Plans the base commit's version of the config against the live state; never throws. */
export async function planBase(
  cwd: string,
  sha: string,
  path: string,
  head: { text: string; plan: Plan },
  warn: (message: string) => void,
): Promise<BaseState> {
  const file = await readFileAtCommit(cwd, sha, path);
  if (file.kind === 'missing') return { kind: 'new-file' };
  if (file.kind === 'unavailable') return file;
  // The pull request does not touch the file: the head plan is the base plan (and saves a second gather).
  if (file.text === head.text) return { kind: 'plan', plan: head.plan };
  try {
    return { kind: 'plan', plan: (await planFleet(loadActionConfig(path, file.text), warn)).plan };
  } catch (e) {
    return { kind: 'unavailable', reason: `the base commit's ${path} could not be planned: ${(e as Error).message.split('\n')[0]}` };
  }
}
