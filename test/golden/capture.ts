// Writes test/golden/<case>/observed.json from a real run, so that the golden cases start from state
// the real gather read, not from hand-written guesses. For one case it:
//   1. applies <case>/base.yaml (the file as the hosts last saw it) or, without one, <case>/databases.yaml,
//      with the built CLI, the golden master key and the test-only environment below;
//   2. runs <case>/by-hand.sh if there is one (changes made outside dbform: drift, a stopped container);
//   3. gathers with <case>/databases.yaml, exactly as `dbform plan` does, and dumps what gather returned,
//      with the keystore entries the plan reads and the environment the config names, to observed.json
//      (and likewise with base.yaml to observed.base.json: the base plan of the pull-request comments);
//   4. removes what it created (containers, data directory, cron files), also when a step failed.
// The captured cases use one `transport: local` host (this machine's Docker engine) with its data under
// /var/lib/dbform-golden. Run it as root, under the fleet lock, after `npm run build`:
//   npx esbuild test/golden/capture.ts --bundle --platform=node --format=esm --packages=external \
//     --outfile=dist/golden/capture.mjs   # two levels down: src reads host/ and schemas/ relative to itself
//   flock /tmp/dbform-fleet.lock node dist/golden/capture.mjs CASE...
// then `UPDATE_GOLDEN=1 npx vitest run test/golden` and review the diff.

import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { backupRecipient } from '../../src/backups/keys.js';
import { openSession } from '../../src/cli/session.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { gather } from '../../src/gather/gather.js';
import { userPasswordKey } from '../../src/resources/desired.js';
import { CONFIG_NAME, GOLDEN_MASTER_KEY, GOLDEN_NOW, type ObservedFile } from './harness.js';

const CASES_DIR = resolve('test/golden');
const DATA_DIR = '/var/lib/dbform-golden';
/** Test-only values for every variable a golden config may name. */
const TEST_ENV: Record<string, string> = {
  REPORTING_PASSWORD: 'golden-test-reporting-password',
  S3_ACCESS_KEY_ID: 'GOLDENTESTACCESSKEY',
  S3_SECRET_ACCESS_KEY: 'golden-test-secret-access-key',
};
const RUN_ENV = { ...process.env, ...TEST_ENV, DBFORM_MASTER_KEY: GOLDEN_MASTER_KEY, NO_COLOR: '1' };

function sh(cmd: string, args: string[], cwd?: string): void {
  const r = spawnSync(cmd, args, { env: RUN_ENV, encoding: 'utf8', cwd, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

function namedEnv(config: Config): Record<string, string> {
  const names = [
    ...config.addons.flatMap((a) => a.users.map((u) => u.passwordEnv)),
    ...config.storage.flatMap((s) => [s.accessKeyIdEnv, s.secretAccessKeyEnv]),
  ].filter((n): n is string => n !== undefined);
  return Object.fromEntries([...new Set(names)].sort().map((n) => [n, TEST_ENV[n]!]));
}

function cleanUp(addons: string[]): void {
  for (const a of addons) {
    spawnSync('docker', ['rm', '-f', `dbform-${a}`], { stdio: 'ignore' });
    rmSync(`/etc/cron.d/dbform-${a}`, { force: true });
  }
  rmSync(DATA_DIR, { recursive: true, force: true });
}

async function observe(file: string): Promise<ObservedFile> {
  Object.assign(process.env, TEST_ENV, { DBFORM_MASTER_KEY: GOLDEN_MASTER_KEY });
  const session = await openSession(file, (m) => console.error(`Warning: ${m}`));
  try {
    const g = await gather({
      config: session.config,
      hosts: session.hosts,
      keystores: session.keystores,
      caPublicKeyPem: session.ca.publicKeyPem,
      now: GOLDEN_NOW,
      backupRecipient: (addon) => backupRecipient(session.masterKey, addon),
    });
    const keystore: ObservedFile['keystore'] = {};
    for (const a of session.config.addons) {
      const ks = session.keystores.get(a.host);
      if (!ks) continue;
      for (const user of [a.name, ...a.users.filter((u) => !u.passwordEnv).map((u) => u.name)]) {
        const value = await ks.get(userPasswordKey(a.name, user));
        if (value !== undefined) (keystore[a.host] ??= {})[userPasswordKey(a.name, user)] = value;
      }
    }
    const hostErrors = Object.fromEntries([...session.hostErrors, ...g.hostErrors].sort(([a], [b]) => a.localeCompare(b)));
    return { addons: Object.fromEntries(g.observed.addons), orphans: g.observed.orphans, keystore, env: namedEnv(session.config), hostErrors };
  } finally {
    await session.close();
  }
}

async function capture(name: string): Promise<void> {
  const dir = join(CASES_DIR, name);
  const head = join(dir, CONFIG_NAME);
  const applied = existsSync(join(dir, 'base.yaml')) ? join(dir, 'base.yaml') : head;
  const addons = [...new Set([applied, head].flatMap((f) => loadConfig(f).addons.map((a) => a.name)))];
  cleanUp(addons);
  try {
    // Exit code 0: applied; the apply of a config with an unreachable host still applies the others.
    sh(process.execPath, ['bin/dbform.js', 'apply', '--auto-approve', '--allow-hazards', 'DATA_LOSS,RESTART,ACCESS_CHANGE,BACKUPS_DISABLED', '-f', applied]);
    if (existsSync(join(dir, 'by-hand.sh'))) sh('bash', ['by-hand.sh'], dir);
    // The same live state, read as gather reads it for each config file of the case.
    for (const [file, out] of [[head, 'observed.json'], [join(dir, 'base.yaml'), 'observed.base.json']] as const) {
      if (!existsSync(file)) continue;
      const observed = await observe(file);
      writeFileSync(join(dir, out), JSON.stringify(observed, null, 2) + '\n');
      console.log(`${name}: ${out} written (${Object.keys(observed.addons).length} add-ons, ${observed.orphans.length} orphans)`);
    }
  } finally {
    cleanUp(addons);
  }
}

for (const name of process.argv.slice(2)) await capture(name);
