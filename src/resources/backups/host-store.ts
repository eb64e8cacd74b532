import type { Readable } from 'node:stream';
import type { Host } from '../../hosts/host.js';
import { run } from '../../hosts/host.js';
import { shq } from '../../util/shell.js';
import type { BackupStore } from './store.js';

// Backups kept in a directory of a database host (storage type local), read through that host.
export class HostDirStore implements BackupStore {
  readonly description: string;
  constructor(
    private readonly host: Host,
    private readonly dir: string,
    name: string,
  ) {
    this.description = `${name} (directory ${dir} on ${host.name})`;
  }

  async listManifests(addon: string): Promise<string[]> {
    const out = await run(
      this.host,
      'listing backups',
      `for f in ${shq(`${this.dir}/${addon}`)}/*.json; do [ -f "$f" ] && { cat "$f"; echo; }; done; true`,
    );
    return out.split('\n').filter((l) => l.trim().startsWith('{'));
  }

  async openObject(key: string): Promise<{ stream: Readable; done: Promise<void> }> {
    const s = this.host.stream(`cat ${shq(`${this.dir}/${key}`)}`);
    const done = s.done.then(({ code, stderr }) => {
      if (code !== 0) throw new Error(`host ${this.host.name}: cannot read ${this.dir}/${key}: ${stderr.trim()}`);
    });
    return { stream: s.stdout, done };
  }

  async listKeys(prefix: string): Promise<string[]> {
    const dir = `${this.dir}/${prefix.replace(/\/$/, '')}`;
    const out = await run(this.host, 'listing files', `[ -d ${shq(dir)} ] && ls -1 ${shq(dir)}; true`);
    return out.split('\n').filter(Boolean).map((f) => `${prefix}${f}`).sort();
  }

  async put(key: string, body: Buffer): Promise<void> {
    const path = `${this.dir}/${key}`;
    // Written beside and renamed: a reader never sees half a file.
    await run(this.host, `writing ${path}`, `mkdir -p "$(dirname ${shq(path)})" && cat > ${shq(`${path}.tmp`)} && mv ${shq(`${path}.tmp`)} ${shq(path)}`, { stdin: body });
  }

  async remove(keys: string[]): Promise<void> {
    if (!keys.length) return;
    await run(this.host, 'deleting backups', `rm -f ${keys.map((k) => shq(`${this.dir}/${k}`)).join(' ')}`);
  }
}
