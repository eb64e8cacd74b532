import { spawn, spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace, psqlByHand, expectEmptyPlan } from './harness.js';

// Day-2 operations on the real Docker engine: a restart waits for the add-on's maintenance window (and
// runs once the window is the current hour), and the PostgreSQL log is read back through the host:
// slow statements, a reload of the slow-query threshold without a restart, --follow, no password.

const CLI = fileURLToPath(new URL('../../bin/dbform.js', import.meta.url));
const WIN_PORT = 32141;
const LOGS_PORT = 32142;
const RETAGGED = 'dbform-postgresql:15-day2-it';
const CANARY = 'canary-Day2-Pw-4c8e1a';
const hour = (h: number) => `${String(((h % 24) + 24) % 24).padStart(2, '0')}:00`;
const nowHour = new Date().getUTCHours();
/** Six hours from now, for an hour: closed for the whole test. */
const CLOSED = `daily ${hour(nowHour + 6)}-${hour(nowHour + 7)}`;
/** From the start of this hour for two hours: open for the whole test, even across the next hour. */
const OPEN = `daily ${hour(nowHour)}-${hour(nowHour + 2)}`;

function config(opts: { image?: string; window: string; lateUser?: boolean; slowQueryMs?: number }): string {
  return `version: 1
hosts:
  local:
    transport: local
    dataDir: $DATA_DIR
defaults:
  timezone: UTC
${opts.image ? `  image: ${opts.image}\n` : ''}addons:
  it-win:
    plan: postgresql-sandbox
    port: ${WIN_PORT}
    maintenance:
      window: "${opts.window}"
${opts.lateUser ? '    users:\n      late:\n        access: read-only\n' : ''}  it-logs:
    plan: postgresql-sandbox
    port: ${LOGS_PORT}
${opts.slowQueryMs ? `    logs:\n      slowQueryMs: ${opts.slowQueryMs}\n` : ''}`;
}

const ws = new Workspace();

function started(addon: string): string {
  return spawnSync('docker', ['inspect', '-f', '{{.Id}} {{.State.StartedAt}}', `dbform-${addon}`], { encoding: 'utf8' }).stdout.trim();
}

/** `tail` processes whose working directory is under `dir` (the host here is this machine). */
function tailsIn(dir: string): string[] {
  const pids = spawnSync('pgrep', ['-x', 'tail'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  return pids.filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`).startsWith(dir);
    } catch {
      return false;
    }
  });
}

beforeAll(() => {
  expect(spawnSync('docker', ['tag', 'dbform-postgresql:15', RETAGGED]).status).toBe(0);
  ws.write(config({ window: CLOSED }));
  const r = ws.run(['apply', '--auto-approve']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expectEmptyPlan(ws);
});

afterAll(() => {
  ws.cleanup(['it-win', 'it-logs']);
  spawnSync('docker', ['rmi', RETAGGED], { stdio: 'ignore' });
});

describe('maintenance windows', () => {
  it('outside its window, a RESTART change and the changes after it wait; the rest is applied; exit 0', () => {
    ws.write(config({ window: CLOSED, image: RETAGGED, lateUser: true }));
    const plan = ws.run(['plan', '--format', 'json']);
    const held = JSON.parse(plan.stdout).changes.filter((c: { maintenance_window?: unknown }) => c.maintenance_window);
    expect(held.map((c: { address: string }) => c.address)).toEqual(['addon.it-win.container', 'addon.it-win.user.late', 'addon.it-win.grants.late']);
    expect(held[0].maintenance_window).toMatchObject({ window: CLOSED, timezone: 'UTC', because: 'hazard RESTART', open_now: false });
    expect(ws.run(['plan']).stdout).toContain(`@ maintenance window ${CLOSED} UTC: waits for the window starting`);

    const win = started('it-win');
    const logs = started('it-logs');
    const r = ws.run(['apply', '--auto-approve', '--allow-hazards', 'RESTART']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const opens = `${hour(nowHour + 6)} UTC+00:00 (${CLOSED} UTC)`;
    expect(r.stdout).toMatch(new RegExp(`addon\\.it-win\\.container: deferred to the window starting \\w{3} \\d{4}-\\d\\d-\\d\\d ${opens.replace(/[()+]/g, '\\$&')}: hazard RESTART`));
    expect(r.stdout).toContain('addon.it-win.user.late: deferred to the window starting');
    expect(r.stdout).toContain('follows addon.it-win.container, which waits for the window');
    expect(r.stdout).toContain('3 changes wait for a maintenance window');
    expect(started('it-win')).toBe(win); // not restarted: same container, same start
    expect(started('it-logs')).not.toBe(logs); // no window: restarted on the new image now
    expect(psqlByHand('it-win', WIN_PORT, 'postgres', "SELECT count(*) FROM pg_roles WHERE rolname = 'late'")).toBe('0');
  });

  it('with the window set to the current hour, the deferred changes run; the plan is then empty', () => {
    const win = started('it-win');
    ws.write(config({ window: OPEN, image: RETAGGED, lateUser: true }));
    expect(ws.run(['plan']).stdout).toContain(`@ maintenance window ${OPEN} UTC: the window is open now`);
    const r = ws.run(['apply', '--auto-approve', '--allow-hazards', 'RESTART']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain('deferred');
    expect(started('it-win')).not.toBe(win);
    expect(spawnSync('docker', ['inspect', '-f', '{{.Config.Image}}', 'dbform-it-win'], { encoding: 'utf8' }).stdout.trim()).toBe(RETAGGED);
    expect(psqlByHand('it-win', WIN_PORT, 'postgres', "SELECT count(*) FROM pg_roles WHERE rolname = 'late'")).toBe('1');
    expectEmptyPlan(ws);
  });
});

describe('logs', () => {
  it('a pg_sleep(6) shows in --slow (threshold 5000 ms), a 1 s one does not', () => {
    psqlByHand('it-logs', LOGS_PORT, 'postgres', 'SELECT pg_sleep(1.2)');
    psqlByHand('it-logs', LOGS_PORT, 'postgres', 'SELECT pg_sleep(6)');
    const r = ws.run(['logs', 'it-logs', '--slow', '--since', '5m']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/UTC \[\d+\] postgres@postgres LOG: {2}duration: 6\d{3}\.\d+ ms {2}statement: SELECT pg_sleep\(6\)/);
    expect(r.stdout).not.toContain('pg_sleep(1.2)');
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('a new slow-query threshold is reloaded: no restart, no hazard, and a 1.2 s statement now shows', () => {
    const before = started('it-logs');
    ws.write(config({ window: OPEN, image: RETAGGED, lateUser: true, slowQueryMs: 1000 }));
    const plan = ws.run(['plan']);
    expect(plan.stdout).toContain('settings log_min_duration_statement');
    expect(plan.stdout).not.toContain('RESTART');
    const r = ws.run(['apply', '--auto-approve']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(started('it-logs')).toBe(before);
    expect(psqlByHand('it-logs', LOGS_PORT, 'postgres', 'SHOW log_min_duration_statement')).toBe('1s');
    psqlByHand('it-logs', LOGS_PORT, 'postgres', 'SELECT pg_sleep(1.2)');
    expect(ws.run(['logs', 'it-logs', '--slow', '--since', '1m']).stdout).toContain('statement: SELECT pg_sleep(1.2)');
    expectEmptyPlan(ws);
  });

  it('--follow prints a new line within 2 s, and a password sent in clear never appears', async () => {
    const child = spawn(process.execPath, [CLI, 'logs', 'it-logs', '--follow', '--since', '1m', '-f', ws.config], { env: { ...process.env, ...ws.env } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await new Promise((r) => setTimeout(r, 2000)); // the past minute is printed, then tail follows
      const marker = `follow-marker-${Date.now()}`;
      const t0 = Date.now();
      psqlByHand('it-logs', LOGS_PORT, 'postgres', `DO $$ BEGIN RAISE LOG '${marker}'; END $$`);
      while (!output.includes(marker) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
      const ms = Date.now() - t0;
      expect(output).toContain(marker);
      expect(ms).toBeLessThan(2000);
      console.log(`--follow: the new line appeared after ${ms} ms`);
      expect(() => psqlByHand('it-logs', LOGS_PORT, 'postgres', `ALTER ROLE nobody_here PASSWORD '${CANARY}'`)).toThrow();
      const t1 = Date.now();
      while (!output.includes('nobody_here') && Date.now() - t1 < 5000) await new Promise((r) => setTimeout(r, 50));
      expect(output).toContain('role "nobody_here" does not exist');
      expect(output).toContain("PASSWORD '***'");
      expect(output).not.toContain(CANARY);
    } finally {
      child.kill();
    }
    // The tail on the host ends with its reader (within the heartbeat's 2 s and tail's 1 s poll).
    const t2 = Date.now();
    while (tailsIn(ws.dir).length && Date.now() - t2 < 8000) await new Promise((r) => setTimeout(r, 200));
    expect(tailsIn(ws.dir)).toEqual([]);
    const all = ws.run(['logs', 'it-logs', '--since', '5m']);
    expect(all.stdout).toContain('nobody_here');
    expect(all.stdout).not.toContain(CANARY);
    expectEmptyPlan(ws);
  });
});
