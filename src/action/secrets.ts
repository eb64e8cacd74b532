// Registers with redact() every secret the action can hold, before anything is printed or sent: the
// master key, the token, and the values of the environment variables the config names (SSH keys, S3
// keys, passwords). Plans hold none of them by construction; this guards the error paths.

import type { Config } from '../config/types.js';
import { registerSecret } from '../util/redact.js';

export function registerEnvSecrets(token: string): void {
  registerSecret(process.env.DBFORM_MASTER_KEY);
  registerSecret(token);
}

export function registerConfigSecrets(config: Config): void {
  const names = [
    ...config.hosts.map((h) => (h.transport === 'ssh' ? h.identityEnv : undefined)),
    ...config.storage.flatMap((s) => [s.accessKeyIdEnv, s.secretAccessKeyEnv]),
    ...config.addons.flatMap((a) => a.users.map((u) => u.passwordEnv)),
  ];
  for (const name of names) if (name) registerSecret(process.env[name]);
  // An SSH key is also printed line by line in some errors: register each line of it.
  for (const h of config.hosts) {
    if (h.transport === 'ssh' && h.identityEnv) for (const line of (process.env[h.identityEnv] ?? '').split('\n')) registerSecret(line.trim());
  }
}
