import type { HostConfig } from '../config/types.js';
import type { Host } from './host.js';
import { LocalHost } from './local.js';
import { SshHost } from './ssh.js';

// One Host per declared host, opened once per run and reused by gather and apply.
export async function openHost(cfg: HostConfig): Promise<Host> {
  if (cfg.transport === 'local') return new LocalHost(cfg.name);
  return SshHost.connect(cfg);
}
