import { existsSync } from 'node:fs';
import { loadConfig } from '../../config/load.js';
import { fingerprint, parseHostKey } from '../../hosts/host-key.js';
import { scanHostKey } from '../../hosts/keyscan.js';
import { out } from '../terminal.js';

/** `dbform hosts keyscan db-1` (a host of the file) or `dbform hosts keyscan 10.0.0.5:22`. */
export async function keyscanCommand(file: string, target: string): Promise<number> {
  let address = target;
  let port = 22;
  const declared = existsSync(file) ? loadConfig(file).hosts.find((h) => h.name === target) : undefined;
  if (declared?.transport === 'ssh') {
    address = declared.address;
    port = declared.port;
  } else {
    const m = /^(.+?)(?::(\d+))?$/.exec(target.replace(/^\[(.+)\]/, '$1'));
    address = m?.[1] ?? target;
    port = m?.[2] ? Number(m[2]) : 22;
  }
  const line = await scanHostKey(address, port);
  out(`# ${address}:${port} ${fingerprint(parseHostKey(line).blob)} (compare with \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` on the host)`);
  out(`hostKey: ${line}`);
  return 0;
}
