#!/usr/bin/env node
// Bundles the GitHub Action (src/action/index.ts and everything it imports, node_modules included) into
// the one file action.yml runs: dist-action/index.js, committed, because GitHub runs an action from its
// repository as it is, without `npm install`. The build is deterministic (same sources and lockfile, same
// bytes), so test/unit/action-bundle.test.ts can rebuild it to a temp file and compare.
//
//   node scripts/bundle-action.mjs              # rewrites dist-action/index.js
//   node scripts/bundle-action.mjs OUTFILE      # writes elsewhere (the test does)

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleHostProgram } from './bundle-host.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// Some modules read a file next to themselves at run time (the config schema, the backup program that
// apply installs on hosts); a bundle has no such neighbour, so the file's text is put in place of the
// read. Fails loudly if a module stops reading its file the expected way.
function inlineFile(name, moduleFilter, readExpression, file) {
  return {
    name,
    setup(b) {
      b.onLoad({ filter: moduleFilter }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes(readExpression)) {
          throw new Error(`bundle-action: ${args.path} no longer reads ${file} with ${readExpression}; update scripts/bundle-action.mjs`);
        }
        const text = readFileSync(join(root, file), 'utf8');
        return { contents: source.replace(readExpression, () => JSON.stringify(text)), loader: 'ts' }; // a function: `$'` in the text is no pattern
      });
    },
  };
}

const inlineSchema = inlineFile('inline-schema', /[\\/]src[\\/]config[\\/]schema-check\.ts$/, "readFileSync(SCHEMA_URL, 'utf8')", 'schemas/databases.schema.json');
const inlineHostScript = inlineFile(
  'inline-host-script',
  /[\\/]src[\\/]resources[\\/]backups[\\/]host-script\.ts$/,
  "readFileSync(new URL('../../../host/dbform-backup.sh', import.meta.url), 'utf8')",
  'host/dbform-backup.sh',
);
// The host program's JavaScript half is not a source file but a bundle of its own: built here, from the
// same sources, rather than read from dist/ (which may be stale or absent).
const inlineHostProgram = {
  name: 'inline-host-program',
  setup(b) {
    const readExpression = "readFileSync(new URL('../../../dist/host/dbform-backup.cjs', import.meta.url), 'utf8')";
    b.onLoad({ filter: /[\\/]src[\\/]resources[\\/]backups[\\/]host-program\.ts$/ }, async (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(readExpression)) {
        throw new Error(`bundle-action: ${args.path} no longer reads the host bundle with ${readExpression}; update scripts/bundle-action.mjs`);
      }
      const text = JSON.stringify(await bundleHostProgram());
      return { contents: source.replace(readExpression, () => text), loader: 'ts' }; // a function: `$'` in the text is no pattern
    });
  },
};

/** Bundles `entry` with the files it reads inlined: the action, and test/golden/capture.ts (a tool). */
export async function bundleAction(outfile = join(root, 'dist-action', 'index.js'), entry = 'src/action/index.ts') {
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    // The path comments name node_modules as seen from the checkout, even where it is a symlink (a git
    // worktree's): the bytes must not depend on where the checkout or its node_modules live.
    preserveSymlinks: true,
    format: 'esm',
    // CommonJS dependencies (pg, ssh2) call require() and read __dirname, which an ES module does not have.
    banner: {
      js: [
        "import { createRequire as __dbformCreateRequire } from 'node:module';",
        "import { dirname as __dbformDirname } from 'node:path';",
        "import { fileURLToPath as __dbformFileURLToPath } from 'node:url';",
        'const require = __dbformCreateRequire(import.meta.url);',
        'const __filename = __dbformFileURLToPath(import.meta.url);',
        'const __dirname = __dbformDirname(__filename);',
      ].join('\n'),
    },
    // Optional native add-ons: each is loaded in a try/catch with a pure-JavaScript fallback.
    external: ['pg-native', 'cpu-features', '*.node'],
    plugins: [inlineSchema, inlineHostScript, inlineHostProgram],
    legalComments: 'eof',
    charset: 'utf8',
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await bundleAction(process.argv[2] ? resolve(process.argv[2]) : undefined);
  process.stdout.write(`bundled the action into ${out}\n`);
}
