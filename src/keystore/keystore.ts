import { createHmac, randomBytes } from 'node:crypto';
import type { Host } from '../hosts/host.js';
import { run } from '../hosts/host.js';
import { shq } from '../util/shell.js';
import { registerSecret } from '../util/redact.js';
import { open, seal } from './cipher.js';

// Secrets (generated passwords, superuser passwords, later keys) are kept next to what they protect:
// on the database host, each sealed with AES-256-GCM under the master key, one file per entry in
// DATADIR/.keystore. The host never sees the master key, so it holds entries only in encrypted form,
// and dbform keeps no local state: any machine with the master key can plan and apply.

export class HostKeystore {
  private loading: Promise<Map<string, string>> | undefined;

  constructor(
    private readonly host: Host,
    private readonly dir: string,
    private readonly key: Buffer,
  ) {}

  /**
   * Every entry of the host, read once per run in one command (read-only: used by gather). The read in
   * flight is shared: gather asks for the entries of all the host's add-ons at the same moment, and each
   * would otherwise read the whole keystore again. A failed read is not kept, so a later call tries again.
   */
  private load(via: Pick<Host, 'exec' | 'name'> = this.host): Promise<Map<string, string>> {
    this.loading ??= this.readAll(via).catch((err: unknown) => {
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  private async readAll(via: Pick<Host, 'exec' | 'name'>): Promise<Map<string, string>> {
    // grep -H prints "FILE:LINE" for every entry in one process (an entry is one line of base64 and dots).
    const out = await run(
      via,
      'reading the keystore',
      `if [ -d ${shq(this.dir)} ]; then cd ${shq(this.dir)} && grep -H '' -- *.enc 2>/dev/null; fi; true`,
    );
    const entries = new Map<string, string>();
    for (const line of out.split('\n')) {
      const colon = line.indexOf(':');
      if (colon < 0 || !line.slice(0, colon).endsWith('.enc')) continue;
      const name = Buffer.from(line.slice(0, colon).replace(/\.enc$/, ''), 'base64url').toString('utf8');
      entries.set(name, line.slice(colon + 1));
    }
    return entries;
  }

  /** An entry. `via` runs the read of the entries when they were not read yet: the same host, through
   *  gather's batched commands (gather/batched-reads.ts). */
  async get(name: string, via?: Pick<Host, 'exec' | 'name'>): Promise<string | undefined> {
    const sealed = (await this.load(via)).get(name);
    if (sealed === undefined) return undefined;
    const value = open(this.key, name, sealed);
    registerSecret(value);
    return value;
  }

  async set(name: string, value: string): Promise<void> {
    const sealed = seal(this.key, name, value);
    const file = `${this.dir}/${Buffer.from(name, 'utf8').toString('base64url')}.enc`;
    await run(
      this.host,
      `writing keystore entry ${name}`,
      // Synced: an entry is often a key that data is about to be encrypted with (a volume's), and a power
      // cut must not leave the data without it.
      `umask 077 && mkdir -p ${shq(this.dir)} && cat > ${shq(file + '.tmp')} && sync ${shq(file + '.tmp')} && mv ${shq(file + '.tmp')} ${shq(file)} && sync ${shq(this.dir)}`,
      { stdin: sealed },
    );
    (await this.load()).set(name, sealed);
  }

  /**
   * A password derived from the master key and `name`: the same on every host. The members of a highly
   * available add-on must share their superuser and replication passwords, while each host keeps its own
   * keystore; deriving needs no exchange between hosts and no copy of a secret in a plan.
   */
  derivedPassword(name: string): string {
    const value = createHmac('sha256', this.key).update(`dbform derived password\0${name}`).digest().subarray(0, 24).toString('base64url');
    registerSecret(value);
    return value;
  }

  /** Removes an entry (a rotation's next key once it became the key). Removing a missing entry is a no-op. */
  async delete(name: string): Promise<void> {
    const file = `${this.dir}/${Buffer.from(name, 'utf8').toString('base64url')}.enc`;
    await run(this.host, `removing keystore entry ${name}`, `rm -f ${shq(file)} && sync ${shq(this.dir)}`);
    (await this.load()).delete(name);
  }

  /** Returns the entry, generating and storing a random password first when it does not exist. */
  async getOrCreatePassword(name: string): Promise<string> {
    const existing = await this.get(name);
    if (existing !== undefined) return existing;
    const fresh = randomBytes(24).toString('base64url');
    registerSecret(fresh);
    await this.set(name, fresh);
    return fresh;
  }
}
