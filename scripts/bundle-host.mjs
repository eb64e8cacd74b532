#!/usr/bin/env node
// Bundles the JavaScript half of the backup program that runs on database hosts (src/resources/backups/host/main.ts
// and what it imports: manifest.ts, retention.ts, luxon) into one CommonJS file for the Node.js of the
// add-on's image (Debian bookworm: Node 18). `npm run build` writes it to dist/host/dbform-backup.cjs,
// where apply reads it to install it (src/resources/backups/host-program.ts); scripts/bundle-action.mjs inlines the
// same text into the GitHub Action. Deterministic: the same sources give the same bytes, which matters
// because the plan compares the installed copy by SHA-256.
//
//   node scripts/bundle-host.mjs            # writes dist/host/dbform-backup.cjs
//   node scripts/bundle-host.mjs OUTFILE    # writes elsewhere

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HOST_PROGRAM_OUT = join(root, 'dist', 'host', 'dbform-backup.cjs');

/** The bundle's text. */
export async function bundleHostProgram() {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/resources/backups/host/main.ts'],
    bundle: true,
    write: false,
    platform: 'node',
    target: 'node18',
    // The path comments name node_modules as seen from the checkout, even where it is a symlink (a git
    // worktree's): the bytes must not depend on where the checkout or its node_modules live.
    preserveSymlinks: true,
    format: 'cjs',
    banner: { js: '// dbform-backup.cjs: installed and kept by dbform apply; changes made here are reverted.\n// Bundled from dbform\'s src/resources/backups/host/main.ts (scripts/bundle-host.mjs); run by host/dbform-backup.sh.' },
    legalComments: 'eof',
    charset: 'utf8',
    logLevel: 'warning',
  });
  return result.outputFiles[0].text;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ? resolve(process.argv[2]) : HOST_PROGRAM_OUT;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, await bundleHostProgram());
}
