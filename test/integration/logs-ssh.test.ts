import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, fleetDown, fleetUp, hostsYaml, psqlOn } from './fleet-harness.js';
import { Workspace } from './harness.js';

// `dbform logs` through SSH, as a non-root user with sudo: the log files are read on the host (one command),
// never through a database port.

const CLI = fileURLToPath(new URL('../../bin/dbform.js', import.meta.url));
const PORT = 31051;
let fleet: Fleet;
const ws = new Workspace();

beforeAll(() => {
  fleet = fleetUp(1);
  fleet.hosts = fleet.hosts.map((h) => ({ ...h, user: fleet.nonRootUser }));
  ws.write(`version: 1\nhosts:\n${hostsYaml(fleet)}addons:\n  weblog:\n    plan: postgresql-sandbox\n    port: ${PORT}\n`);
  const r = ws.run(['apply', '--auto-approve']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
});

afterAll(() => {
  ws.cleanup([]);
  fleetDown();
});

describe('dbform logs over SSH', () => {
  it('a pg_sleep(6) shows in --slow; --follow sees a new line within 2 s; the plan stays empty', async () => {
    const db1 = fleet.hosts[0]!;
    psqlOn(db1, 'weblog', PORT, 'postgres', 'SELECT pg_sleep(6)');
    const slow = ws.run(['logs', 'weblog', '--slow', '--since', '10m']);
    expect(slow.code, slow.stderr).toBe(0);
    expect(slow.stdout).toMatch(/postgres@postgres LOG: {2}duration: 6\d{3}\.\d+ ms {2}statement: SELECT pg_sleep\(6\)/);

    const child = spawn(process.execPath, [CLI, 'logs', 'weblog', '--follow', '--since', '1m', '-f', ws.config], { env: { ...process.env, ...ws.env } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await new Promise((r) => setTimeout(r, 3000)); // connected, the last minute printed, tail following
      const marker = `ssh-follow-${Date.now()}`;
      const t0 = Date.now();
      psqlOn(db1, 'weblog', PORT, 'postgres', `DO $$ BEGIN RAISE LOG '${marker}'; END $$`);
      while (!output.includes(marker) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
      const ms = Date.now() - t0;
      expect(output).toContain(marker);
      console.log(`--follow over SSH: the new line appeared after ${ms} ms`);
      expect(ms).toBeLessThan(2000);
    } finally {
      child.kill();
    }
    const plan = ws.run(['plan', '--detailed-exitcode']);
    expect(plan.stdout).toContain('No changes.');
    expect(plan.code).toBe(0);
  });
});
