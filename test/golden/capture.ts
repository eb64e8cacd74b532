// Writes test/golden/<case>/observed.json from a real run, so that the golden cases start from state
// the real gather read, not from hand-written guesses. For one case it:
//   1. applies <case>/base.yaml (the file as the hosts last saw it) or, without one, <case>/databases.yaml,
//      with the built CLI, the golden master key and the test-only environment below;
//   2. runs <case>/by-hand.sh if there is one (changes made outside dbform: drift, a stopped container);
//   3. records what the hosts answer about <case>/databases.yaml's add-ons through the real HostReader (the
//      reads gather makes), with the keystore entries and the environment the config names, to observed.json
//      (and likewise with base.yaml to observed.base.json: the base plan of the pull-request comments);
//   4. removes what it created (containers, data directory, cron files), also when a step failed.
// The captured cases use one `transport: local` host (this machine's Docker engine) with its data under
// /var/lib/dbform-golden. Run it as root, under the fleet lock, after `npm run build` (bundled like the
// action, with the files src reads next to itself inlined):
//   node -e "import('./scripts/bundle-action.mjs').then((m) => m.bundleAction('dist/golden/capture.mjs', 'test/golden/capture.ts'))"
//   flock -o /tmp/dbform-fleet.lock node dist/golden/capture.mjs CASE...
// then `UPDATE_GOLDEN=1 npx vitest run test/golden` and review the diff.

import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { backupRecipient } from '../../src/resources/backups/keys.js';
import { openSession } from '../../src/cli/session.js';
import { DEFAULT_LOCAL_BACKUP_DIR, loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { LiveHostReader } from '../../src/gather/host-reader.js';
import { addonPlacements } from '../../src/resources/desired.js';
import type { Placed } from '../../src/resources/kind.js';
import type { DesiredAddon } from '../../src/resources/model.js';
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
    rmSync(`/etc/cron.d/dbform-pitr-${a}`, { force: true });
    // The PITR repository of a golden add-on on the default local storage (kept by dbform when an add-on goes).
    rmSync(`${DEFAULT_LOCAL_BACKUP_DIR}/.pgbackrest/${a}`, { recursive: true, force: true });
  }
  rmSync(DATA_DIR, { recursive: true, force: true });
}

/** What one host answers about the add-ons a config places there, through the real HostReader. */
async function recordHost(reader: LiveHostReader, placed: Placed<DesiredAddon>[], into: ObservedFile): Promise<void> {
  const containers = await reader.containers();
  for (const { desired: d } of placed) {
    const container = containers.get(d.name) ?? null;
    const { catalog } = await reader.instance(d);
    const dataInitialized = container !== null || (await reader.fileExists(`${d.container.dataDir}/pgdata/PG_VERSION`));
    const p = d.pitr;
    const pitrPaths = [...Object.keys(p.files), `${p.stateDir}/etc/pgbackrest.conf`, p.cronPath, p.cipherPath, ...(p.enabled ? [p.marker.path] : [])];
    const paths = [...new Set([...Object.keys(d.backups.files), d.backups.cronPath, ...pitrPaths])];
    const backupFiles = Object.fromEntries(await Promise.all(paths.map(async (p) => [p, await reader.fileHash(p)] as const)));
    into.addons[d.name] = { container, catalog, dataInitialized, backupFiles };
    const keys = [...d.roles.flatMap((r) => (r.passwordSource.source === 'keystore' ? [r.passwordSource.key] : [])), p.passphraseKey];
    for (const key of keys) {
      const value = await reader.secret(key);
      if (value !== undefined) (into.keystore[reader.host.name] ??= {})[key] = value;
    }
  }
  const declared = new Set(placed.map((p) => p.key));
  for (const [addon, c] of containers) {
    if (!declared.has(addon) && c.dataDir.startsWith(`${reader.host.dataDir}/`)) into.orphans.push({ host: reader.host.name, container: c });
  }
}

async function observe(file: string): Promise<ObservedFile> {
  Object.assign(process.env, TEST_ENV, { DBFORM_MASTER_KEY: GOLDEN_MASTER_KEY });
  const session = await openSession(file, (m) => console.error(`Warning: ${m}`));
  try {
    const placed = addonPlacements(session.config, { caPublicKeyPem: session.ca.publicKeyPem, now: GOLDEN_NOW, backupRecipient: (a) => backupRecipient(session.masterKey, a) });
    const rec: ObservedFile = { addons: {}, orphans: [], keystore: {}, env: namedEnv(session.config), hostErrors: {} };
    for (const [name, host] of session.hosts) {
      const reader = new LiveHostReader(session.config.hosts.find((h) => h.name === name)!, host, session.keystores.get(name)!);
      await recordHost(reader, placed.filter((p) => p.host === name), rec).catch((e: Error) => (rec.hostErrors[name] = e.message));
    }
    for (const [host, reason] of session.hostErrors) rec.hostErrors[host] = reason;
    rec.hostErrors = Object.fromEntries(Object.entries(rec.hostErrors).sort(([a], [b]) => a.localeCompare(b)));
    return rec;
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
