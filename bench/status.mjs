#!/usr/bin/env node
/* global fetch */
// Times `dbform status` on an applied config (median of RUNS, with and without the drift check's share shown
// apart through --format json's timing), then the dashboard's memory while it samples: RSS after its first
// sample and after SAMPLES more (at --interval 1: 360 samples are what an hour at 10 s keeps).
//   node bench/status.mjs CONFIG [RUNS=5] [SAMPLES=360]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../bin/dbform.js', import.meta.url));
const [config, runs = '5', samples = '360'] = process.argv.slice(2);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const times = [];
for (let i = 0; i < Number(runs); i++) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, 'status', '--format', 'json', '-f', config], { encoding: 'utf8' });
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  if (r.status !== 0) throw new Error(`status failed: ${r.stderr}`);
  const s = JSON.parse(r.stdout);
  if (i === 0) console.log(`add-ons: ${s.addons.length}, running: ${s.addons.filter((a) => a.state === 'running').length}, hosts: ${new Set(s.addons.map((a) => a.host)).size}`);
}
console.log(`dbform status (with drift), ${runs} runs: median ${median(times).toFixed(2)} s (${times.map((t) => t.toFixed(2)).join(', ')})`);

const port = 18900 + Math.floor(Math.random() * 90);
const child = spawn(process.execPath, [CLI, 'dashboard', '--listen', `127.0.0.1:${port}`, '--interval', '1', '-f', config], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((r) => child.stdout.once('data', r));
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) * 1024;
const points = async () => {
  const s = await (await fetch(`http://127.0.0.1:${port}/api/status`)).json();
  const h = await (await fetch(`http://127.0.0.1:${port}/api/history?addon=${s.addons[0].addon}`)).json();
  return h.points.length;
};
const start = rss();
const t0 = Date.now();
while ((await points()) < Number(samples) + 1) await new Promise((r) => setTimeout(r, 5000));
const seconds = (Date.now() - t0) / 1000;
console.log(`dashboard RSS: ${(start / 1048576).toFixed(1)} MB after the first sample, ${(rss() / 1048576).toFixed(1)} MB after ${samples} more (${seconds.toFixed(0)} s, ${(seconds / Number(samples)).toFixed(2)} s per sample)`);
child.kill('SIGTERM');
