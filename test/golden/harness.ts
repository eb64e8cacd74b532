// Golden cases from real inputs: test/golden/<case>/databases.yaml + observed.json go through the real
// code path (loadConfig, the desired-state builder, buildPlan, the renderers, the pull-request comment),
// and the outputs are compared byte for byte with the files next to them. Deterministic: a fixed `now`
// and a fixed, test-only master key (fleet CA and backup recipients derive from it).
//
// observed.json records what the hosts answered (test/golden/capture.ts dumps it from a real run;
// observed.base.json is the same live state as recorded for base.yaml, see readObserved), and the real
// gather reads it through recorded-reader.ts:
//   addons      add-on -> its container, catalog, data directory and backup files; a declared add-on
//               left out reads as a fresh host (nothing there, every file missing)
//   orphans     managed containers of add-ons no longer in the file
//   keystore    host -> keystore key -> password (test-only values), what the keystores hold
//   env         environment variables the config names (passwordEnv, S3 credentials; test-only values)
//   hostErrors  host -> why it could not be read; it is left out of the plan, as `dbform plan` does

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BaseState } from '../../src/action/split.js';
import { renderPlanComment } from '../../src/action/plan-comment.js';
import { backupRecipient } from '../../src/resources/backups/keys.js';
import { notYetApplied } from '../../src/cli/not-yet.js';
import { loadConfig } from '../../src/config/load.js';
import { desiredFleet, gather } from '../../src/gather/gather.js';
import { buildPlan } from '../../src/plan/build.js';
import type { Plan } from '../../src/plan/types.js';
import { renderJson, renderMarkdown, renderText } from '../../src/render/index.js';
import { fleetCa } from '../../src/resources/tls/ca.js';
import { recordedReader, type Recording } from './recorded-reader.js';

export const GOLDEN_DIR = dirname(fileURLToPath(import.meta.url));
/** Test-only: never a real fleet's key. capture.mjs runs the fleet with it so certificates verify. */
export const GOLDEN_MASTER_KEY = 'dbform-golden-tests-master-key-not-secret-0001';
/** The moment every golden plan is made (certificates are judged against it). */
export const GOLDEN_NOW = new Date('2026-12-01T09:00:00.000Z');
/** The name plans and comments give the config, whatever file of the case it is read from. */
export const CONFIG_NAME = 'databases.yaml';
export const HEAD_SHA = '4f1c2d3e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d';

export type ObservedFile = Recording;

/** comments.json: comment name -> the base commit's state (and the head file, databases.yaml by default). */
type CommentSpec = { head?: string; base: { kind: 'plan'; file: string } | Exclude<BaseState, { kind: 'plan' }> };

/** Case directories: every folder of test/golden holding a databases.yaml. */
export function listCases(): string[] {
  return readdirSync(GOLDEN_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(GOLDEN_DIR, e.name, CONFIG_NAME)))
    .map((e) => e.name)
    .sort();
}

/**
 * What gather read for one config file of a case: observed.json for databases.yaml, observed.NAME.json for
 * NAME.yaml when there is one (gather reads only what a config declares: an add-on the other file dropped
 * is an orphan there and a declared add-on here), else observed.json (a fresh fleet reads the same).
 */
export function readObserved(caseName: string, file = CONFIG_NAME): ObservedFile {
  const own = join(GOLDEN_DIR, caseName, `observed.${basename(file, '.yaml')}.json`);
  const path = file !== CONFIG_NAME && existsSync(own) ? own : join(GOLDEN_DIR, caseName, 'observed.json');
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Partial<ObservedFile>;
  return { addons: {}, orphans: [], keystore: {}, env: {}, hostErrors: {}, ...raw };
}

async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The plan of one config file of a case against the case's recorded hosts, as `dbform plan` makes it:
 *  the pure desired state, the real gather on hosts answering from the recording, buildPlan. */
export async function planCase(caseName: string, file = CONFIG_NAME): Promise<Plan> {
  const config = loadConfig(CONFIG_NAME, readFileSync(join(GOLDEN_DIR, caseName, file), 'utf8'));
  const rec = readObserved(caseName, file);
  const ca = await fleetCa(GOLDEN_MASTER_KEY);
  return withEnv(rec.env, async () => {
    const desired = desiredFleet(config, { caPublicKeyPem: ca.publicKeyPem, now: GOLDEN_NOW, backupRecipient: (a) => backupRecipient(GOLDEN_MASTER_KEY, a) });
    const addonHosts = Object.fromEntries(config.addons.map((a) => [a.name, a.host]));
    for (const o of rec.orphans) addonHosts[o.container.addon] ??= o.host;
    const readers = new Map(config.hosts.filter((h) => rec.hostErrors[h.name] === undefined).map((h) => [h.name, recordedReader(h, rec, addonHosts)]));
    const { observed } = await gather(desired, readers);
    const plan = buildPlan(config, desired, observed);
    // What computePlan (src/cli/compute-plan.ts) adds after buildPlan, in its order.
    for (const [host, reason] of Object.entries(rec.hostErrors).sort(([a], [b]) => a.localeCompare(b))) {
      plan.warnings.push(`host ${host} is left out of this plan: ${reason}`);
      plan.hostsNotRead.push({ host, reason });
    }
    plan.warnings.push(...notYetApplied(config));
    return plan;
  });
}

export interface RenderedCase {
  plan: Plan;
  /** Output file name (plan.txt, plan.md, plan.json, comment-NAME.md) -> content. */
  outputs: Record<string, string>;
}

export function renderPlan(plan: Plan): Record<string, string> {
  return { 'plan.txt': renderText(plan, { color: false }), 'plan.md': renderMarkdown(plan), 'plan.json': renderJson(plan) };
}

export function readCommentSpecs(caseName: string): Record<string, CommentSpec> {
  const file = join(GOLDEN_DIR, caseName, 'comments.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, CommentSpec>) : {};
}

export interface CommentInput {
  head: Plan;
  base: BaseState;
}

/** Head and base plans of one pull-request comment of a case, both against the same observed state. */
export async function commentInput(caseName: string, spec: CommentSpec): Promise<CommentInput> {
  const head = await planCase(caseName, spec.head ?? CONFIG_NAME);
  const base: BaseState = spec.base.kind === 'plan' ? { kind: 'plan', plan: await planCase(caseName, spec.base.file) } : spec.base;
  return { head, base };
}

export function renderComment(input: CommentInput, limit?: number): string {
  return renderPlanComment({ configPath: CONFIG_NAME, head: input.head, base: input.base, headSha: HEAD_SHA }, limit);
}

/** Every output of a case: the plan in the three formats, and each pull-request comment. */
export async function renderCase(caseName: string): Promise<RenderedCase> {
  const plan = await planCase(caseName);
  const outputs = renderPlan(plan);
  for (const [name, spec] of Object.entries(readCommentSpecs(caseName))) {
    outputs[`comment-${name}.md`] = renderComment(await commentInput(caseName, spec));
  }
  return { plan, outputs };
}
