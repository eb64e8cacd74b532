// The config schema is compiled at build time (scripts/compile-schema.mjs). The messages of schema-check.ts
// are built from ajv's error objects, so the compiled code must report exactly the errors ajv's compiler
// does at run time, and it must load as Node loads it from dist/ (not only through vitest's transform).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { AJV_OPTIONS, SCHEMA_FILE, schemaValidatorModule } from '../../scripts/compile-schema.mjs';
import { validate as compiled } from '../../src/config/schema-validate.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Documents that break the schema in the ways users do: unknown keys, wrong types, enums, patterns, minLength, if/then. */
const INVALID: unknown[] = [
  { version: 2 },
  { version: 1, hostz: {} },
  { version: 1, hosts: { a: { transport: 'ssh', addres: 'x' } } },
  { version: 1, hosts: { a: { transport: 'telnet' } } },
  { version: 1, hosts: { 'Bad Name': { transport: 'local' } } },
  { version: 1, storage: { main: { type: 's3', bucket: '' } } },
  { version: 1, addons: { x: { plan: 'nope', port: '5432', users: { '': {} } } } },
  { version: 1, addons: { x: { plan: 'postgresql-sandbox', port: 99999, extensions: ['citext', 'citext'], backups: { scheduleAt: 330 } } } },
  { version: 1, addons: { x: { plan: 'postgresql-sandbox', port: 35001, tls: { force: 'yes' }, allowedIps: [1] } } },
  [],
  'version: 1',
];

function runtimeErrors(data: unknown): unknown {
  const validate = new Ajv(AJV_OPTIONS).compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  return validate(data) ? null : validate.errors;
}

describe('the config schema compiled at build time', () => {
  it.each(INVALID.map((d) => [JSON.stringify(d), d]))('reports what the runtime compiler reports for %s', (_, data) => {
    const expected = runtimeErrors(data);
    expect(expected).not.toBeNull();
    expect(compiled(data)).toBe(false);
    expect(compiled.errors).toEqual(expected);
  });

  it('accepts the example file as the runtime compiler does', () => {
    const ok = { version: 1, addons: { shop: { plan: 'postgresql-sandbox', port: 35001, users: { reporting: { access: 'read-only' } } } } };
    expect(runtimeErrors(ok)).toBeNull();
    expect(compiled(ok)).toBe(true);
  });

  it('is an ES module that Node itself imports (the dist/ build), with no require()', () => {
    const source = schemaValidatorModule();
    expect(source).not.toMatch(/\brequire\(/);
    // Inside the checkout, so that `ajv/dist/runtime/...` resolves from its node_modules as dist/ does.
    const dir = mkdtempSync(join(ROOT, '.schema-test-'));
    try {
      writeFileSync(join(dir, 'schema-validate.mjs'), source);
      const probe = `import { validate } from ${JSON.stringify(join(dir, 'schema-validate.mjs'))};
        const good = validate({ version: 1 });
        const bad = validate({ version: 1, storage: { main: { type: 's3', bucket: '' } } });
        process.stdout.write(JSON.stringify([good, bad, validate.errors.map((e) => e.keyword)]));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const [good, bad, keywords] = JSON.parse(r.stdout) as [boolean, boolean, string[]];
      expect([good, bad]).toEqual([true, false]);
      expect(keywords).toContain('minLength');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
