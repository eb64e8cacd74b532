#!/usr/bin/env node
// The plan of a large fleet, replayed: ADDONS add-ons on HOSTS hosts, from host answers recorded on real
// hosts (test/golden/no-change, cloned under new names by bench/scale-replay/synthesize.ts), through the
// real config loader, desired state, gather, diff and renderers. Only the wire is left out: PostgreSQL
// instances for 1,000 add-ons do not fit on one machine. See bench/README.md.
//
//   node bench/scale-replay.mjs [--addons 1000] [--hosts 20] [--runs 3] [--sizes 100,500] [--fresh]
//
// Each run is a fresh process through /usr/bin/time (wall, user+system CPU, peak RSS); the table gives the
// median of RUNS per size. Peak RSS per add-on is the slope between the smallest and the largest size
// (what one more add-on costs), and the total divided by the add-ons (what each costs, start-up included).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleAction } from '../scripts/bundle-action.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    addons: { type: 'string', default: '1000' },
    hosts: { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '100,500' },
    fresh: { type: 'boolean', default: false },
  },
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** One process: the runner's JSON line plus what /usr/bin/time saw. */
function runOnce(script, addons, hosts, mode) {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', process.execPath, script, String(addons), String(hosts), mode], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const time = /TIME (\S+) (\S+) (\S+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !time) throw new Error(`scale-replay: run failed (${r.status}):\n${r.stderr}`);
  const [, wall, user, sys, rssKb] = time;
  return { ...JSON.parse(r.stdout), wall: Number(wall), cpu: Number(user) + Number(sys), rssMb: Number(rssKb) / 1024 };
}

function measure(script, addons, hosts, mode, runs) {
  const all = Array.from({ length: runs }, () => runOnce(script, addons, hosts, mode));
  const stages = Object.fromEntries(Object.keys(all[0].ms).map((k) => [k, median(all.map((x) => x.ms[k]))]));
  return { ...all[0], wall: median(all.map((x) => x.wall)), cpu: median(all.map((x) => x.cpu)), rssMb: median(all.map((x) => x.rssMb)), stages };
}

function report(rows, mode) {
  const first = rows[0];
  const last = rows[rows.length - 1];
  const slopeKb = ((last.rssMb - first.rssMb) * 1024) / (last.addons - first.addons);
  console.log(`\n${mode === 'fresh' ? 'Fresh hosts (every add-on created)' : 'No-op plan (every add-on in sync)'}, median of ${opts.runs} runs:`);
  console.log('| add-ons / hosts | changes | wall s | CPU s | peak RSS MB | RSS per add-on | load+desired / gather / diff / text / md / json / comment / drift issue ms | comment chars |');
  console.log('|---|---:|---:|---:|---:|---:|---|---:|');
  for (const r of rows) {
    const s = r.stages;
    const stages = [s.load + s.desired, s.gather, s.diff, s.text, s.markdown, s.json, s.comment, s.drift].join(' / ');
    const perAddon = `${((r.rssMb * 1024) / r.addons).toFixed(0)} KB`;
    console.log(`| ${r.addons} / ${r.hosts} | ${r.changes} | ${r.wall.toFixed(2)} | ${r.cpu.toFixed(2)} | ${r.rssMb.toFixed(0)} | ${perAddon} | ${stages} | ${r.sizes.comment} |`);
  }
  if (rows.length > 1) console.log(`Peak RSS grows by ${slopeKb.toFixed(0)} KB per add-on between ${first.addons} and ${last.addons} add-ons.`);
  return { slopeKb };
}

const dir = mkdtempSync(join(tmpdir(), 'dbform-scale-'));
try {
  // Bundled like the Action (the TypeScript sources and the recorded reader, files read at run time inlined).
  const script = await bundleAction(join(dir, 'run.mjs'), 'bench/scale-replay/run.ts');
  const hosts = Number(opts.hosts);
  const sizes = [...opts.sizes.split(',').filter(Boolean).map(Number), Number(opts.addons)];
  for (const mode of opts.fresh ? ['noop', 'fresh'] : ['noop']) {
    const rows = sizes.map((n) => measure(script, n, hosts, mode, Number(opts.runs)));
    const wrong = mode === 'noop' && rows.find((r) => r.changes !== 0);
    if (wrong) throw new Error(`scale-replay: the replayed no-op plan of ${wrong.addons} add-ons has ${wrong.changes} changes`);
    report(rows, mode);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
