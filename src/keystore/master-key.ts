import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from '../util/errors.js';

// The master key comes from DBFORM_MASTER_KEY. Only for a config whose hosts are all local (the
// sandbox) is one created on first use, in the user's config directory, with a warning saying where.

export function masterKeyPath(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'dbform', 'master.key');
}

export function resolveMasterKey(opts: { allowCreate: boolean; warn: (msg: string) => void }): string {
  const fromEnv = process.env.DBFORM_MASTER_KEY;
  if (fromEnv) {
    if (fromEnv.length < 16) throw new UserError('DBFORM_MASTER_KEY is too short: use at least 16 characters (e.g. `openssl rand -base64 32`)');
    return fromEnv;
  }
  const path = masterKeyPath();
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  if (!opts.allowCreate) {
    throw new UserError('DBFORM_MASTER_KEY is not set: it encrypts the passwords and keys dbform keeps on your hosts. Set it (e.g. `openssl rand -base64 32`, kept in your secret store).');
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  opts.warn(`created a master key for the local sandbox at ${path}; back it up: without it the stored passwords cannot be read`);
  return readFileSync(path, 'utf8').trim();
}
