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

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// The config loader reads schemas/databases.schema.json next to its own module at run time; a bundle has
// no such neighbour, so the schema text is put in its place. Fails loudly if the loader changes shape.
const inlineSchema = {
  name: 'inline-schema',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]config[\\/]schema-check\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const read = "readFileSync(SCHEMA_URL, 'utf8')";
      if (!source.includes(read)) throw new Error(`bundle-action: ${args.path} no longer reads the schema with ${read}; update scripts/bundle-action.mjs`);
      const schema = readFileSync(join(root, 'schemas', 'databases.schema.json'), 'utf8');
      return { contents: source.replace(read, JSON.stringify(schema)), loader: 'ts' };
    });
  },
};

// Likewise for the backup program that apply installs on hosts (host/dbform-backup.sh).
const inlineHostScript = {
  name: 'inline-host-script',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]backups[\\/]host-script\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const read = "readFileSync(new URL('../../host/dbform-backup.sh', import.meta.url), 'utf8')";
      if (!source.includes(read)) throw new Error(`bundle-action: ${args.path} no longer reads the host script with ${read}; update scripts/bundle-action.mjs`);
      const script = readFileSync(join(root, 'host', 'dbform-backup.sh'), 'utf8');
      return { contents: source.replace(read, JSON.stringify(script)), loader: 'ts' };
    });
  },
};

export async function bundleAction(outfile = join(root, 'dist-action', 'index.js')) {
  await build({
    absWorkingDir: root,
    entryPoints: ['src/action/index.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
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
    plugins: [inlineSchema, inlineHostScript],
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
