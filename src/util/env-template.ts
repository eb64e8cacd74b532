import type { SourcePos } from '../config/types.js';
import { ConfigError } from '../config/load.js';
import { UserError } from './errors.js';
import { registerSecret } from './redact.js';

// Files dbform renders on hosts can hold credentials taken from the environment (an S3 key). They are
// rendered with `{{env:NAME}}` placeholders, so that a plan step can carry a file without its secret, and
// filled in only where the file is hashed (plan) or written (apply).

const PLACEHOLDER = /\{\{env:([A-Za-z_][A-Za-z0-9_]*)\}\}/g;

export function envPlaceholder(name: string): string {
  return `{{env:${name}}}`;
}

/** The names of the environment variables a template needs. */
export function envNames(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))].sort();
}

/**
 * Fills the placeholders from the environment. A missing variable is the config's fault: `where` says
 * which declaration named it, so the error reads `databases.yaml:LINE:COL: ...` like any other.
 */
export function fillEnv(template: string, where: { pos: SourcePos; what: string }): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = process.env[name];
    if (!value) {
      throw new ConfigError([{ ...where.pos, message: `${where.what}: environment variable ${name} is not set` }]);
    }
    registerSecret(value);
    return value;
  });
}

/** fillEnv for apply, where the config's positions are not at hand: names what needed the variable. */
export function fillEnvOrThrow(template: string, what: string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = process.env[name];
    if (!value) throw new UserError(`${what}: environment variable ${name} is not set`);
    registerSecret(value);
    return value;
  });
}
