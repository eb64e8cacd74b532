// Structural validation of databases.yaml against schemas/databases.schema.json (the same file editors use),
// with ajv's errors turned into issues that name the offending key or value in the user's words.

import type { ErrorObject } from 'ajv';
import { closest, describe, displayPath, show } from './messages.js';
// Compiled at build time (scripts/compile-schema.mjs): compiling the schema at every start cost more than
// the rest of `dbform validate`, and the compiler is not loaded at all now.
import { validate } from './schema-validate.js';
import type { Issue, PathSeg } from './yaml-source.js';

/** Path of the schema, from both src/config and dist/config (two levels below the repository root). */
export const SCHEMA_URL = new URL('../../schemas/databases.schema.json', import.meta.url);

/**
 * Checks that semantic.ts words better (it names the closest plan, says why a name is invalid): the schema
 * keeps them for editors, the loader reports them once, from semantic.ts.
 */
function ownedBySemantic(path: PathSeg[], keyword: string): boolean {
  const [top, , field] = path;
  if (top !== 'addons') return false;
  if (path.length === 1 && keyword === 'pattern') return true; // add-on names
  return path.length === 3 && field === 'plan' && keyword === 'enum';
}

export function schemaIssues(data: unknown): Issue[] {
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  // A value of the wrong type also fails its enum/const/range: say only "must be a string".
  const typeFailed = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  // A wrong `type:`/`transport:` picks the wrong branch of the schema: its missing keys are noise.
  const wrongKind = new Set(
    errors.filter((e) => e.keyword === 'enum' && /\/(type|transport)$/.test(e.instancePath)).map((e) => e.instancePath.replace(/\/[^/]+$/, '')),
  );
  const issues: Issue[] = [];
  for (const e of errors) {
    if (e.keyword === 'if' || e.keyword === 'propertyNames') continue; // wrappers; the inner error says it
    if (e.keyword !== 'type' && typeFailed.has(e.instancePath)) continue;
    if (e.keyword === 'required' && wrongKind.has(e.instancePath)) continue;
    const path = parsePointer(e.instancePath, data);
    if (ownedBySemantic(path, e.keyword)) continue;
    issues.push(toIssue(e, path));
  }
  return issues;
}

function toIssue(e: ErrorObject, path: PathSeg[]): Issue {
  const where = displayPath(path);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = Object.keys((e.parentSchema?.properties as object | undefined) ?? {});
      const hint = closest(key, allowed);
      const suggestion = hint ? `; did you mean "${hint}"?` : '';
      const list = allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : '';
      return {
        path: [...path, key],
        on: 'key',
        message: `unknown key "${key}" in ${where || 'the top level'}${suggestion}${list}`,
      };
    }
    case 'required':
      return { path, on: 'key', message: `${where || 'the file'}: missing required key "${String(p.missingProperty)}"` };
    case 'enum':
      return {
        path,
        on: 'value',
        message: `${where}: ${describe(e.data)} is not allowed; use one of: ${(p.allowedValues as unknown[]).map(show).join(', ')}`,
      };
    case 'const':
      return { path, on: 'value', message: constMessage(where, e.data, p.allowedValue) };
    case 'type':
      return { path, on: 'value', message: typeMessage(where, e.data, String(p.type)) };
    case 'pattern':
      if (e.propertyName !== undefined) {
        return {
          path: [...path, e.propertyName],
          on: 'key',
          message: `invalid name "${e.propertyName}" in ${where}: use lowercase letters, digits and '-', starting with a letter (${String(p.pattern)})`,
        };
      }
      return { path, on: 'value', message: `${where}: ${describe(e.data)} must match ${String(p.pattern)}` };
    case 'minimum':
    case 'maximum':
      return { path, on: 'value', message: `${where}: must be ${String(p.comparison)} ${String(p.limit)}, got ${describe(e.data)}` };
    case 'minLength':
      return { path, on: 'value', message: `${where}: must not be empty` };
    case 'uniqueItems':
      return { path, on: 'value', message: `${where}: items ${String(p.j)} and ${String(p.i)} are the same; list each once` };
    default:
      return { path, on: 'value', message: `${where}: ${e.message ?? 'is invalid'}` };
  }
}

function constMessage(where: string, data: unknown, allowed: unknown): string {
  if (where === 'version') return `version ${describe(data)} is not supported: this dbform reads databases.yaml version 1`;
  return `${where}: must be ${show(allowed)}, got ${describe(data)}`;
}

function typeMessage(where: string, data: unknown, expected: string): string {
  const wanted = expected.replace('object', 'a mapping').replace('array', 'a list').replace(',null', '');
  const article = /^(string|integer|number|boolean)$/.test(wanted) ? `a ${wanted}` : wanted;
  // YAML reads 15 as a number and true as a boolean where a string is wanted: quoting is the usual fix.
  const hint = wanted === 'string' && (typeof data === 'number' || typeof data === 'boolean') ? ` (quote it: "${String(data)}")` : '';
  return `${where || 'the file'}: must be ${article}, got ${describe(data)}${hint}`;
}

/** Decodes an ajv instancePath (JSON pointer); a segment is a number where the data there is a list. */
function parsePointer(pointer: string, data: unknown): PathSeg[] {
  if (pointer === '') return [];
  const path: PathSeg[] = [];
  let here = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const index = Array.isArray(here) ? Number(seg) : undefined;
    path.push(index ?? seg);
    here = index !== undefined ? (here as unknown[])[index] : (here as Record<string, unknown> | undefined)?.[seg];
  }
  return path;
}
