import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import type { Host } from '../hosts/host.js';
import { openHost } from '../hosts/open.js';
import { deriveKey } from '../keystore/cipher.js';
import { HostKeystore } from '../keystore/keystore.js';
import { resolveMasterKey } from '../keystore/master-key.js';
import { withContext } from '../util/errors.js';

// Everything a command needs to talk to the fleet: the validated config, one open Host per declared
// host, and each host's keystore. Opened once per run; close() releases connections.

export interface Session {
  config: Config;
  hosts: Map<string, Host>;
  keystores: Map<string, HostKeystore>;
  close(): Promise<void>;
}

export function loadOnly(file: string): Config {
  return loadConfig(file);
}

export async function openSession(file: string, warn: (msg: string) => void): Promise<Session> {
  const config = loadConfig(file);
  const allLocal = config.hosts.every((h) => h.transport === 'local');
  const key = deriveKey(resolveMasterKey({ allowCreate: allLocal, warn }));
  const hosts = new Map<string, Host>();
  const keystores = new Map<string, HostKeystore>();
  const close = async () => {
    await Promise.all([...hosts.values()].map((h) => h.close().catch(() => undefined)));
  };
  try {
    await Promise.all(
      config.hosts.map(async (h) => {
        const host = await openHost(h).catch((err) => {
          throw withContext(`host ${h.name}`, err);
        });
        hosts.set(h.name, host);
        keystores.set(h.name, new HostKeystore(host, `${h.dataDir}/.keystore`, key));
      }),
    );
  } catch (err) {
    await close();
    throw err;
  }
  return { config, hosts, keystores, close };
}
