// One run of the replayed scale bench, bundled and started by bench/scale-replay.mjs:
//   node run.mjs ADDONS HOSTS noop|fresh
// It synthesizes the fleet (synthesize.ts; `fresh`: the same file on hosts that hold nothing yet, so that
// every add-on is created and the renderers get thousands of changes), then times the stages `dbform plan` runs after the hosts
// answered: loading the config, the desired state, gather (on recorded readers: no wire), the diff into a
// plan, and every renderer (text, markdown, JSON, the pull-request comment, the drift issue). Prints one JSON line.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDriftIssue } from '../../src/action/drift-body.js';
import { renderPlanComment } from '../../src/action/plan-comment.js';
import { loadConfig } from '../../src/config/load.js';
import { desiredFleet, gather } from '../../src/gather/gather.js';
import { buildPlan, instancePlacements } from '../../src/plan/build.js';
import { renderJson, renderMarkdown, renderText } from '../../src/render/index.js';
import { backupRecipient } from '../../src/resources/backups/keys.js';
import { KINDS } from '../../src/resources/registry.js';
import { fleetCa } from '../../src/resources/tls/ca.js';
import { recordedReader, type Recording } from '../../test/golden/recorded-reader.js';
import { GOLDEN_MASTER_KEY, GOLDEN_NOW } from '../../test/golden/harness.js';
import { synthesizeFleet } from './synthesize.js';

const CASE = 'no-change';

async function timed<T>(into: Record<string, number>, stage: string, fn: () => T | Promise<T>): Promise<T> {
  const start = performance.now();
  const value = await fn();
  into[stage] = Math.round(performance.now() - start);
  return value;
}

/** The recorded hashes of an add-on's rendered backup files (backup.env, the cron file) name it, so a clone
 *  records what its own rendered files hash to: the template add-on was in sync, so is its clone. */
function syncBackupHashes(rec: Recording, desired: ReturnType<typeof desiredFleet>): void {
  for (const p of instancePlacements(desired, KINDS)) {
    const files = rec.addons[p.addon]?.backupFiles ?? {};
    for (const path of Object.keys(files)) if (files[path] !== null && p.desired.backups.files[path]) files[path] = p.desired.backups.files[path]!.sha256;
  }
}

async function main(): Promise<void> {
  const [addons, hosts] = process.argv.slice(2, 4).map(Number) as [number, number];
  const mode = process.argv[4] === 'fresh' ? 'fresh' : 'noop';
  const ms: Record<string, number> = {};
  const caseDir = join(process.cwd(), 'test', 'golden', CASE);
  // Read from the checkout (the bundle lives elsewhere), with the defaults harness.ts's readObserved gives.
  const recorded = { addons: {}, orphans: [], keystore: {}, env: {}, hostErrors: {}, ...(JSON.parse(readFileSync(join(caseDir, 'observed.json'), 'utf8')) as Partial<Recording>) };
  const fleet = synthesizeFleet(readFileSync(join(caseDir, 'databases.yaml'), 'utf8'), recorded, addons, hosts);
  Object.assign(process.env, fleet.recording.env);
  if (mode === 'fresh') Object.assign(fleet.recording, { addons: {}, keystore: {} });
  const config = await timed(ms, 'load', () => loadConfig('databases.yaml', fleet.yaml));
  const ca = await fleetCa(GOLDEN_MASTER_KEY);
  const ctx = { caPublicKeyPem: ca.publicKeyPem, now: GOLDEN_NOW, backupRecipient: (a: string) => backupRecipient(GOLDEN_MASTER_KEY, a) };
  const desired = await timed(ms, 'desired', () => desiredFleet(config, ctx));
  syncBackupHashes(fleet.recording, desired);
  const readers = new Map(config.hosts.map((h) => [h.name, recordedReader(h, fleet.recording, fleet.addonHosts)]));
  const { observed } = await timed(ms, 'gather', () => gather(desired, readers));
  const plan = await timed(ms, 'diff', () => buildPlan(config, desired, observed));
  const text = await timed(ms, 'text', () => renderText(plan, { color: false }));
  const markdown = await timed(ms, 'markdown', () => renderMarkdown(plan));
  const json = await timed(ms, 'json', () => renderJson(plan));
  const comment = await timed(ms, 'comment', () => renderPlanComment({ configPath: 'databases.yaml', head: plan, base: { kind: 'new-file' } }));
  const drift = await timed(ms, 'drift', () => renderDriftIssue({ configPath: 'databases.yaml', plan, sha: 'f'.repeat(40) }));
  // To see what a replayed plan holds (a no-op that is not): SCALE_REPLAY_PRINT=text|markdown|comment|drift.
  const shown = { text, markdown, comment, drift }[process.env.SCALE_REPLAY_PRINT ?? ''];
  if (shown !== undefined) process.stderr.write(shown);
  const sizes = { text: text.length, markdown: markdown.length, json: json.length, comment: comment.length, drift: drift.length };
  process.stdout.write(`${JSON.stringify({ addons, hosts, mode, changes: plan.changes.length, ms, sizes, heapMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20) })}\n`);
}

await main();
