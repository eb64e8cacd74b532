import type { SourcePos } from '../config/types.js';
import { ConfigError } from '../config/load.js';
import { sha256Hex } from './canonical.js';
import { UserError } from './errors.js';
import { registerSecret } from './redact.js';

// Files dbform renders on hosts can hold credentials taken from the environment (an S3 key). They are
// rendered with `{{env:NAME}}` placeholders, so that a plan step can carry a file without its secret, and
// filled in only where the file is hashed (plan) or written (apply).

const PLACEHOLDER = /\{\{env:([A-Za-z_][A-Za-z0-9_]*)\}\}/g;

export function envPlaceholder(name: string): string {
  return `{{env:${name}}}`;
}

/** Fills the placeholders from the environment; `missing` makes the error for a variable that is not set. */
function fill(template: string, missing: (name: string) => Error): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = process.env[name];
    if (!value) throw missing(name);
    registerSecret(value);
    return value;
  });
}

/**
 * At plan time, a missing variable is the config's fault: `where` says which declaration named it, so the
 * error reads `databases.yaml:LINE:COL: ...` like any other.
 */
function fillEnv(template: string, where: { pos: SourcePos; what: string }): string {
  return fill(template, (name) => new ConfigError([{ ...where.pos, message: `${where.what}: environment variable ${name} is not set` }]));
}

/** At apply time, where the config's positions are not at hand: names what needed the variable. */
export function fillEnvOrThrow(template: string, what: string): string {
  return fill(template, (name) => new UserError(`${what}: environment variable ${name} is not set`));
}

/** Files rendered with placeholders, each with the SHA-256 of its filled-in content (what is on the host). */
export function hashedFiles<F extends { content: string }>(
  files: Record<string, F>,
  where: { pos: SourcePos; what: string },
): Record<string, F & { sha256: string }> {
  return Object.fromEntries(Object.entries(files).map(([path, f]) => [path, { ...f, sha256: fileHash(f.content, where) }]));
}

// Every add-on with backups installs the same programs (the host script, the 240 kB host program): their
// hash is computed once per run, not once per add-on. Only large files without placeholders are kept, so
// the cache holds a few entries whatever the fleet's size, and nothing filled in from the environment.
const LARGE = 16_384;
const largeFileHashes = new Map<string, string>();

function fileHash(content: string, where: { pos: SourcePos; what: string }): string {
  if (content.length < LARGE || content.includes('{{env:')) return sha256Hex(fillEnv(content, where));
  let hash = largeFileHashes.get(content);
  if (hash === undefined) largeFileHashes.set(content, (hash = sha256Hex(content)));
  return hash;
}
