import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace, asUser, psqlByHand, expectEmptyPlan } from './harness.js';

// The quickstart shape on the real Docker engine: apply, use it as its users would, drift it by hand,
// repair it, and end every scenario with an empty plan.

const CANARY = 'canary-Pw-7d1e9f3a5b';
const PORT = 32101;
const SANDBOX_PORT = 32102;
const CONFIG = `version: 1
hosts:
  local:
    transport: local
    dataDir: $DATA_DIR
addons:
  it-shop:
    plan: postgresql-starter-512
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    version: "15"
    host: local
    port: ${PORT}
    users:
      reporting:
        access: read-only
        passwordEnv: IT_REPORTING_PASSWORD
      "app writer":
        access: read-write
  it-notes:
    plan: postgresql-sandbox
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS (the plan becomes a starter one below)
    version: "15"
    host: local
    port: ${SANDBOX_PORT}
`;

const ws = new Workspace();
const env = { IT_REPORTING_PASSWORD: CANARY };
let urls: Record<string, string>;

beforeAll(() => {
  ws.write(CONFIG);
  const r = ws.run(['apply', '--auto-approve'], env);
  expect(r.stdout).toContain('Apply complete');
  expect(r.code, r.stdout + r.stderr).toBe(0);
  urls = ws.urls('it-shop', env);
});

afterAll(() => ws.cleanup(['it-shop', 'it-notes']));

describe('walking skeleton on the local Docker engine', () => {
  it('a second apply changes nothing and plan is empty', () => {
    const r = ws.run(['apply', '--auto-approve'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No changes.');
    expect(r.stdout).not.toContain('creating');
    expect(expectEmptyPlan(ws, env).stderr).toBe('');
  });

  it('runs each add-on in its own container with the plan memory limit and the data on the host', () => {
    const inspect = JSON.parse(spawnSync('docker', ['inspect', 'dbform-it-shop', 'dbform-it-notes'], { encoding: 'utf8' }).stdout);
    expect(inspect.map((c: { HostConfig: { Memory: number } }) => c.HostConfig.Memory / 1024 / 1024)).toEqual([512, 256]);
    expect(inspect[0].Config.Labels).toMatchObject({ 'dbform.managed': 'true', 'dbform.addon': 'it-shop' });
    expect(readdirSync(join(ws.dataDir, 'it-shop', 'pgdata'))).toContain('PG_VERSION');
    expect(psqlByHand('it-shop', PORT, 'postgres', 'SHOW shared_buffers')).toBe('128MB');
  });

  it('the read-write user writes, the read-only user reads but cannot write', async () => {
    await asUser(urls.DATABASE_URL_APP_WRITER!, async (c) => {
      await c.query('CREATE TABLE orders (id serial PRIMARY KEY, item text)');
      await c.query(`INSERT INTO orders (item) VALUES ('book')`);
    });
    await asUser(urls.DATABASE_URL_REPORTING!, async (c) => {
      expect((await c.query('SELECT item FROM orders')).rows).toEqual([{ item: 'book' }]);
      await expect(c.query(`INSERT INTO orders (item) VALUES ('pen')`)).rejects.toThrow(/permission denied/);
      await expect(c.query('CREATE TABLE nope (x int)')).rejects.toThrow(/permission denied/);
    });
  });

  it('a table the owner creates later is readable by the read-only user and writable by the read-write one', async () => {
    await asUser(urls.DATABASE_URL!, async (c) => {
      await c.query('CREATE TABLE later (id bigserial PRIMARY KEY, v text)');
      await c.query(`INSERT INTO later (v) VALUES ('x')`);
    });
    await asUser(urls.DATABASE_URL_REPORTING!, async (c) => {
      expect((await c.query('SELECT v FROM later')).rows).toEqual([{ v: 'x' }]);
    });
    await asUser(urls.DATABASE_URL_APP_WRITER!, async (c) => {
      await c.query(`INSERT INTO later (v) VALUES ('y')`);
    });
    expect(expectEmptyPlan(ws, env).stderr).toBe('');
  });

  it('drift made by hand shows in plan and one apply repairs it', async () => {
    psqlByHand('it-shop', PORT, 'it-shop', 'REVOKE SELECT ON orders FROM reporting');
    psqlByHand('it-shop', PORT, 'postgres', 'ALTER ROLE "app writer" SUPERUSER');
    psqlByHand('it-shop', PORT, 'it-shop', 'DROP OWNED BY reporting; DROP ROLE reporting');
    spawnSync('docker', ['stop', 'dbform-it-notes'], { stdio: 'ignore' });

    const plan = ws.run(['plan', '--detailed-exitcode'], env);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/~ addon\.it-shop\.user\.app writer/);
    expect(plan.stdout).toMatch(/superuser\s*: true -> false/);
    expect(plan.stdout).toMatch(/\+ addon\.it-shop\.user\.reporting/);
    expect(plan.stdout).toMatch(/addon\.it-shop\.grants\.reporting/);
    expect(plan.stdout).toMatch(/~ addon\.it-notes\.container[\s\S]*exited/);

    const apply = ws.run(['apply', '--auto-approve'], env);
    expect(apply.stdout.split('Plan:')[1]).toContain('Apply complete');
    expect(apply.code).toBe(0);
    expect(expectEmptyPlan(ws, env).stderr).toBe('');
    expect(psqlByHand('it-shop', PORT, 'postgres', `SELECT rolsuper FROM pg_roles WHERE rolname = 'app writer'`)).toBe('f');
    await asUser(urls.DATABASE_URL_REPORTING!, async (c) => {
      expect((await c.query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 1 }]);
    });
  });

  it('a password changed by hand is reset, and the stored password works again', async () => {
    psqlByHand('it-shop', PORT, 'postgres', `ALTER ROLE reporting PASSWORD 'changed-by-hand'`);
    const plan = ws.run(['plan', '--detailed-exitcode'], env);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('password was changed outside dbform');
    expect(ws.run(['apply', '--auto-approve'], env).code).toBe(0);
    await asUser(urls.DATABASE_URL_REPORTING!, async (c) => expect((await c.query('SELECT 1 AS x')).rows).toEqual([{ x: 1 }]));
    expect(expectEmptyPlan(ws, env).stderr).toBe('');
  });

  it('a saved plan applies exactly, and is refused once the live state moved', () => {
    const planFile = join(ws.dir, 'restart.plan');
    ws.write(CONFIG.replace('postgresql-sandbox', 'postgresql-starter-1024'));
    expect(ws.run(['plan', '--out', planFile], env).code).toBe(0);
    expect(readFileSync(planFile, 'utf8')).toContain('container.ensure');

    psqlByHand('it-shop', PORT, 'postgres', 'ALTER ROLE "app writer" CREATEDB');
    const stale = ws.run(['apply', planFile], env);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/stale: the live state changed/);

    expect(ws.run(['plan', '--out', planFile], env).code).toBe(0);
    const refused = ws.run(['apply', planFile], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--allow-hazards RESTART');
    const applied = ws.run(['apply', planFile, '--allow-hazards', 'RESTART'], env);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const memory = spawnSync('docker', ['inspect', '-f', '{{.HostConfig.Memory}}', 'dbform-it-notes'], { encoding: 'utf8' }).stdout.trim();
    expect(Number(memory) / 1024 / 1024).toBe(1024);
    expect(expectEmptyPlan(ws, env).stderr).toBe('');
  });

  it('removing an add-on from the file is refused unless DATA_LOSS is allowed', () => {
    ws.write(CONFIG.slice(0, CONFIG.indexOf('  it-notes:')));
    const refused = ws.run(['apply', '--auto-approve'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--allow-hazards DATA_LOSS');
    expect(spawnSync('docker', ['inspect', 'dbform-it-notes'], { stdio: 'ignore' }).status).toBe(0);

    expect(ws.run(['apply', '--auto-approve', '--allow-hazards', 'DATA_LOSS'], env).code).toBe(0);
    expect(spawnSync('docker', ['inspect', 'dbform-it-notes'], { stdio: 'ignore' }).status).not.toBe(0);
    expect(expectEmptyPlan(ws, env).stderr).toBe('');
  });

  it('a user removed from the file is dropped after its objects are reassigned to the owner', async () => {
    ws.write(CONFIG.slice(0, CONFIG.indexOf('  it-notes:')).replace(/ {6}"app writer":\n {8}access: read-write\n/, ''));
    const plan = ws.run(['plan'], env);
    expect(plan.stdout).toMatch(/- addon\.it-shop\.user\.app writer/);
    expect(plan.stdout).toMatch(/owns \d+ objects?, reassigned to it-shop/);
    expect(ws.run(['apply', '--auto-approve', '--allow-hazards', 'ACCESS_CHANGE'], env).code).toBe(0);
    expect(psqlByHand('it-shop', PORT, 'it-shop', `SELECT tableowner FROM pg_tables WHERE tablename = 'orders'`)).toBe('it-shop');
    expect(psqlByHand('it-shop', PORT, 'postgres', `SELECT count(*) FROM pg_roles WHERE rolname = 'app writer'`)).toBe('0');
    expect(expectEmptyPlan(ws, env).stderr).toBe('');
  });

  it('the canary password is nowhere in what dbform printed or saved', () => {
    expect(ws.transcript.join('\n')).not.toContain(CANARY);
    for (const f of readdirSync(ws.dir).filter((f) => f.endsWith('.plan'))) {
      expect(readFileSync(join(ws.dir, f), 'utf8')).not.toContain(CANARY);
    }
  });
});
