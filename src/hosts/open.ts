import type { HostConfig } from '../config/types.js';
import type { Host } from './host.js';

// One Host per declared host, opened once per run and reused by gather and apply. Each transport is loaded
// when a host uses it: a fleet of local hosts never loads the SSH library.
export async function openHost(cfg: HostConfig): Promise<Host> {
  if (cfg.transport === 'local') return new (await import('./local.js')).LocalHost(cfg.name);
  return (await import('./ssh.js')).SshHost.connect(cfg);
}
