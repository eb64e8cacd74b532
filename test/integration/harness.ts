// Drives the built CLI the way a user does (node bin/dbform.js ...) against the real Docker engine,
// in a throw-away workspace: its own data directory, master key and config directory.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { expect } from 'vitest';
import { DEFAULT_LOCAL_BACKUP_DIR } from '../../src/config/load.js';

const CLI = fileURLToPath(new URL('../../bin/dbform.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'dbform-it-'));
  readonly dataDir = join(this.dir, 'data');
  readonly config = join(this.dir, 'databases.yaml');
  readonly env: Record<string, string> = {
    DBFORM_MASTER_KEY: 'integration-test-master-key-0001',
    XDG_CONFIG_HOME: join(this.dir, 'xdg'),
    NO_COLOR: '1',
    // The fleet's S3 endpoint is named s3.fleet, as PITR needs (pgBackRest checks its certificate by name);
    // the hosts resolve it through their /etc/hosts, the CLI on this machine through this preload.
    NODE_OPTIONS: `--import ${new URL('./fleet-dns.mjs', import.meta.url).href}`,
  };
  /** Everything the CLI printed, for the secret-leak checks. */
  readonly transcript: string[] = [];

  write(yaml: string): void {
    writeFileSync(this.config, yaml.replaceAll('$DATA_DIR', this.dataDir));
  }

  /** `timeoutMs`: longer for a command that makes a whole cluster (a restore into a new one). */
  run(args: string[], extraEnv: Record<string, string> = {}, timeoutMs = 240_000): CliResult {
    const r = spawnSync(process.execPath, [CLI, ...args, '-f', this.config], {
      env: { ...process.env, ...this.env, ...extraEnv },
      encoding: 'utf8',
      timeout: timeoutMs,
    });
    const result = { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
    this.transcript.push(r.stdout, r.stderr);
    return result;
  }

  /** Connection URLs from `dbform output ADDON --all`, by variable name. */
  urls(addon: string, extraEnv: Record<string, string> = {}): Record<string, string> {
    const r = spawnSync(process.execPath, [CLI, 'output', addon, '--all', '-f', this.config], {
      env: { ...process.env, ...this.env, ...extraEnv },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`dbform output failed: ${r.stderr}`);
    return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  }

  cleanup(addons: string[]): void {
    for (const a of addons) {
      spawnSync('docker', ['rm', '-f', `dbform-${a}`], { stdio: 'ignore' });
      rmSync(`/etc/cron.d/dbform-${a}`, { force: true }); // the local host's backup schedule
      rmSync(`/etc/cron.d/dbform-pitr-${a}`, { force: true }); // and its weekly full base backup
      // Its PITR repository on the default local storage: dbform keeps it when an add-on goes, and an add-on
      // made again with that name (the next run of this test) is another cluster that pgBackRest refuses there.
      rmSync(`${DEFAULT_LOCAL_BACKUP_DIR}/.pgbackrest/${a}`, { recursive: true, force: true });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs SQL as an application user, through the published port, as a client would. */
export async function asUser<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs SQL as the instance's superuser inside the container (local socket, peer auth): "by hand". */
export function psqlByHand(addon: string, port: number, database: string, sql: string): string {
  const r = spawnSync('docker', ['exec', '-i', `dbform-${addon}`, 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '/tmp', '-p', String(port), '-U', 'postgres', '-d', database, '-At'], {
    input: sql,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** The scenario's last word: a plan of the workspace's file finds nothing to do. Returns the plan's run
 *  (its notes and warnings are still there to check). */
export function expectEmptyPlan(ws: Workspace, extraEnv: Record<string, string> = {}): CliResult {
  const plan = ws.run(['plan', '--detailed-exitcode'], extraEnv);
  expect(plan.stdout + plan.stderr).toContain('No changes. The live state matches');
  expect(plan.code, plan.stdout.slice(-1500) + plan.stderr).toBe(0);
  return plan;
}

/** Text as a regular expression that matches it literally (an address, a backup id). */
export const escapeRe = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
