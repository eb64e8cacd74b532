import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built CLI (npm run build) refuses a flag of another command before reading any file: no fleet needed.
const CLI = fileURLToPath(new URL('../../bin/dbform.js', import.meta.url));

describe('dbform with a flag its command does not take', () => {
  it('plan --user x exits 1 naming the flags plan takes', () => {
    const r = spawnSync(process.execPath, [CLI, 'plan', '--user', 'x'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('Error: plan does not take --user; its flags: -f/--file, --out, --format, --detailed-exitcode\n');
  });
});
