// Builders shared by the config tests: a file from lines, and the errors loadConfig reports for it.
import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

export const FILE = 'databases.yaml';

export function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

/** The diagnostics of a file that must fail, as "FILE:LINE:COL: message" lines. */
export function errorsOf(text: string): string[] {
  try {
    loadConfig(FILE, text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).message.split('\n');
  }
  throw new Error('expected the config to be rejected');
}

export function onlyError(text: string): string {
  const errors = errorsOf(text);
  expect(errors).toHaveLength(1);
  return errors[0] as string;
}

// Lines 1..6: a valid file that the error cases extend with add-on fields (line numbers matter below).
export const BASE = [
  'version: 1', //                     1
  'addons:', //                        2
  '  shop:', //                        3
  '    plan: postgresql-starter-512', // 4
  '    port: 31000', //                5
];
