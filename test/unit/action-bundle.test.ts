// The committed bundle (dist-action/index.js, what GitHub runs) must be built from the committed sources:
// rebuild it to a temp file and compare bytes. On failure: `node scripts/bundle-action.mjs` and commit.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('action bundle', () => {
  it('dist-action/index.js is exactly what scripts/bundle-action.mjs builds from the sources', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbform-bundle-'));
    try {
      const out = join(dir, 'index.js');
      const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle-action.mjs'), out], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const fresh = readFileSync(out);
      const committed = readFileSync(join(ROOT, 'dist-action', 'index.js'));
      expect(committed.equals(fresh), 'dist-action/index.js is stale: run `node scripts/bundle-action.mjs` and commit it').toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('action.yml runs the bundle on node20 and declares the inputs the action reads', () => {
    const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8'));
    expect(action.runs).toEqual({ using: 'node20', main: 'dist-action/index.js' });
    expect(Object.keys(action.inputs)).toEqual(['command', 'config', 'github-token', 'allow-hazards', 'working-directory', 'lock-timeout', 'comment-author']);
    expect(Object.keys(action.outputs)).toEqual(['has-changes', 'plan-file', 'fingerprint', 'exitcode']);
    const read = [...readFileSync(join(ROOT, 'src', 'action', 'inputs.ts'), 'utf8').matchAll(/get\('([a-z-]+)'\)/g)].map((m) => m[1]);
    expect(new Set(read)).toEqual(new Set(Object.keys(action.inputs)));
  });

  it('only the action entry point imports @actions/*', () => {
    const importers = sourceFiles(join(ROOT, 'src'))
      .filter((f) => /from '@actions\//.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    expect(importers).toEqual(['src/action/index.ts']);
  });
});
