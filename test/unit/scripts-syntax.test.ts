import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The README's commands run these scripts: a syntax error in one must fail here, in a second, rather
// than minutes into a quickstart or a CI run. Only parsing: nothing is executed.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .sort();
}

const isBash = (file: string) =>
  file.endsWith('.sh') || /^#!.*\bbash\b/.test(readFileSync(join(ROOT, file), 'utf8').split('\n', 1)[0] ?? '');

const jsFiles = ['scripts', 'bin', 'test/fleet'].flatMap(filesUnder).filter((f) => /\.m?js$/.test(f));
const shellFiles = ['scripts', 'test/fleet', '.ci', 'bench'].flatMap(filesUnder).filter(isBash);

function parse(cmd: string, args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

describe('scripts parse', () => {
  it('finds the scripts the README commands run', () => {
    expect(jsFiles).toEqual(expect.arrayContaining(['bin/dbform.js', 'scripts/quickstart-config.mjs']));
    expect(shellFiles).toEqual(expect.arrayContaining(['.ci/run', 'scripts/quickstart.sh', 'test/fleet/up.sh']));
  });

  it.each(jsFiles)('node --check %s', (file) => {
    expect(parse(process.execPath, ['--check', file])).toEqual({ status: 0, stderr: '' });
  });

  it.each(shellFiles)('bash -n %s', (file) => {
    expect(parse('bash', ['-n', file])).toEqual({ status: 0, stderr: '' });
  });
});
