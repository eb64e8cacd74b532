#!/usr/bin/env node
// Bundles the dashboard's page (src/dashboard/web/: the page, its script and uPlot, the chart library) into
// dist/dashboard/web/ at build time: the dashboard serves only these files, so the page works offline (no CDN).
//
//   node scripts/bundle-dashboard.mjs

import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'dashboard', 'web');
const require = createRequire(import.meta.url);

mkdirSync(out, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/dashboard/web/app.js'],
  bundle: true,
  format: 'iife',
  target: 'es2020',
  minify: true,
  legalComments: 'inline',
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
});
copyFileSync(join(root, 'src', 'dashboard', 'web', 'index.html'), join(out, 'index.html'));
copyFileSync(join(root, 'src', 'dashboard', 'web', 'style.css'), join(out, 'style.css'));
copyFileSync(require.resolve('uplot/dist/uPlot.min.css'), join(out, 'uPlot.min.css'));
