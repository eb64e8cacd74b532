import { Client as SshClient } from 'ssh2';
import { formatHostKey } from './host-key.js';

// Reads the host key a server presents, and disconnects before authenticating: like ssh-keyscan,
// nothing is sent but the key exchange. The user checks the fingerprint out of band, then pins it.
export function scanHostKey(address: string, port: number, algorithm = 'ssh-ed25519', timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const ssh = new SshClient();
    let key: string | undefined;
    ssh.on('error', (err) => (key ? resolve(key) : reject(new Error(`cannot read the host key of ${address}:${port}: ${err.message}`))));
    ssh.on('ready', () => ssh.end());
    ssh.connect({
      host: address,
      port,
      username: 'dbform-keyscan',
      readyTimeout: timeoutMs,
      algorithms: { serverHostKey: [algorithm] as never },
      hostVerifier: (blob: Buffer) => {
        key = formatHostKey(blob);
        return false; // abort the handshake: we only wanted the key
      },
    });
  });
}
