// The config as the action reads it: loaded and checked once per run, and the secrets it names registered
// with redact() before anything can print them.

import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { registerConfigSecrets } from './secrets.js';

/** `text`: the file's content when it is not read from disk (the pull request's base commit). */
export function loadActionConfig(file: string, text?: string): Config {
  const config = loadConfig(file, text);
  registerConfigSecrets(config);
  return config;
}
