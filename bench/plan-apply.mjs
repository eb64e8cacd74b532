#!/usr/bin/env node
// Times dbform on N add-ons (default 20): the first apply, then `plan` when everything is in sync
// (median of RUNS runs), and the peak RSS of each. Run from the repository root after `npm run build`:
//   node bench/plan-apply.mjs [--addons 20] [--runs 5] [--config FILE]
// Without --config it makes a local sandbox config in a temporary directory and removes it after.
// With --config it benchmarks that file (e.g. the SSH fleet made by bench/fleet.sh).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    addons: { type: 'string', default: '20' },
    runs: { type: 'string', default: '5' },
    config: { type: 'string' },
    'keep': { type: 'boolean', default: false },
  },
});
const n = Number(values.addons);
const runs = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), 'dbform-bench-'));
const env = { ...process.env, NO_COLOR: '1', DBFORM_MASTER_KEY: process.env.DBFORM_MASTER_KEY ?? 'benchmark-master-key-000000001', XDG_CONFIG_HOME: join(dir, 'xdg') };

let config = values.config;
const names = Array.from({ length: n }, (_, i) => `bench-${String(i + 1).padStart(2, '0')}`);
if (!config) {
  config = join(dir, 'databases.yaml');
  const addons = names
    .map((name, i) => `  ${name}:\n    plan: postgresql-sandbox\n    version: "15"\n    host: local\n    port: ${34001 + i}\n    users:\n      reader:\n        access: read-only\n      writer:\n        access: read-write\n`)
    .join('');
  writeFileSync(config, `version: 1\nhosts:\n  local:\n    transport: local\n    dataDir: ${join(dir, 'data')}\naddons:\n${addons}`);
}

/** Runs the CLI under /usr/bin/time to get wall time and peak RSS. */
function timed(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, 'bin/dbform.js', ...args, '-f', config], { env, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rssKb = Number(r.stderr.trim().split('\n').at(-1));
  if (r.status !== 0 && r.status !== 2) throw new Error(`dbform ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return { seconds, rssMb: rssKb / 1024, stdout: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const apply = timed(['apply', '--auto-approve']);
  const changes = /Apply complete: (\d+) changes/.exec(apply.stdout)?.[1] ?? '?';
  const plans = Array.from({ length: runs }, () => timed(['plan', '--detailed-exitcode']));
  if (!plans.every((p) => p.stdout.includes('No changes.'))) throw new Error('plan after apply is not empty');
  const noop = Array.from({ length: Math.min(3, runs) }, () => timed(['apply', '--auto-approve']));
  console.log(`dbform benchmark: ${n} add-ons (${values.config ?? 'local sandbox'})`);
  console.log(`  first apply:            ${apply.seconds.toFixed(2)} s, ${changes} changes, peak RSS ${apply.rssMb.toFixed(0)} MB`);
  process.stdout.write(spawnSync(process.execPath, [new URL('./apply-share.mjs', import.meta.url).pathname], { input: apply.stdout, encoding: 'utf8' }).stdout);
  console.log(`  no-op plan (median/${runs}): ${median(plans.map((p) => p.seconds)).toFixed(2)} s  (min ${Math.min(...plans.map((p) => p.seconds)).toFixed(2)}, max ${Math.max(...plans.map((p) => p.seconds)).toFixed(2)}), peak RSS ${Math.max(...plans.map((p) => p.rssMb)).toFixed(0)} MB`);
  console.log(`  no-op apply (median/${noop.length}): ${median(noop.map((p) => p.seconds)).toFixed(2)} s`);
} finally {
  if (!values.config && !values.keep) {
    for (const name of names) spawnSync('docker', ['rm', '-f', `dbform-${name}`], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}
