// LiveHostReader on a scripted host: the keystore is read while `docker inspect` runs (two round trips at
// once), and its answer still matters only for a running container.

import { describe, expect, it } from 'vitest';
import { LiveHostReader } from '../../src/gather/host-reader.js';
import { pitrKind } from '../../src/resources/pitr/kind.js';
import type { ExecResult, Host } from '../../src/hosts/host.js';
import { deriveKey } from '../../src/keystore/cipher.js';
import { HostKeystore } from '../../src/keystore/keystore.js';
import type { HostConfig } from '../../src/config/types.js';
import { desired } from './fixtures.js';

interface Pending {
  command: string;
  answer: (r: ExecResult) => void;
}

/** A host whose commands stay pending until the test answers them, in the order they were sent. */
function scriptedHost(): { host: Host; sent: Pending[] } {
  const sent: Pending[] = [];
  const host = {
    name: 'db-1',
    exec: (command: string) => new Promise<ExecResult>((answer) => sent.push({ command, answer })),
  } as unknown as Host;
  return { host, sent };
}

const flush = () => new Promise((r) => setTimeout(r, 0));
const HOST = { name: 'db-1', transport: 'ssh', dataDir: '/var/lib/dbform' } as HostConfig;

function reader(host: Host): LiveHostReader {
  return new LiveHostReader(HOST, host, new HostKeystore(host, '/var/lib/dbform/.keystore', deriveKey('test-only-master-key')));
}

describe('LiveHostReader.instance', () => {
  it('sends the keystore read before the container list has come back', async () => {
    const { host, sent } = scriptedHost();
    const state = reader(host).instance(desired());
    await flush();
    expect(sent.map((p) => (p.command.includes('docker ps') ? 'containers' : p.command.includes('grep -H') ? 'keystore' : p.command))).toEqual(['keystore', 'containers']);
    // The container is not there: the data directory decides between absent and stopped.
    sent[0]!.answer({ code: 0, stdout: '', stderr: '' });
    sent[1]!.answer({ code: 0, stdout: '[]', stderr: '' });
    await flush();
    expect(sent[2]!.command).toContain('PG_VERSION');
    sent[2]!.answer({ code: 0, stdout: '', stderr: '' });
    expect(await state).toEqual({ state: 'absent', catalog: null });
  });

  it('ignores a failed keystore read when no container runs, as when it was not read', async () => {
    const { host, sent } = scriptedHost();
    const state = reader(host).instance(desired());
    await flush();
    sent.find((p) => p.command.includes('grep -H'))!.answer({ code: 2, stdout: '', stderr: 'Permission denied' });
    sent.find((p) => p.command.includes('docker ps'))!.answer({ code: 0, stdout: '[]', stderr: '' });
    await flush();
    sent.find((p) => p.command.includes('PG_VERSION'))!.answer({ code: 0, stdout: 'yes /var/lib/dbform/shop/pgdata/PG_VERSION\n', stderr: '' });
    expect(await state).toEqual({ state: 'stopped', catalog: null });
  });
});

describe('pitr gather through LiveHostReader', () => {
  it('hashes its files and the passphrase file in one command', async () => {
    const { host, sent } = scriptedHost();
    const d = desired();
    let done = false;
    const observed = pitrKind.gather(reader(host), { key: d.name, host: 'db-1', addon: d.name, desired: d }).finally(() => (done = true));
    // Answer every command as it comes (nothing exists on this host) until the gather is over.
    const commands: string[] = [];
    for (let round = 0; !done && round < 20; round++) {
      await flush();
      for (const p of sent.splice(0)) {
        commands.push(p.command);
        p.answer({ code: 0, stdout: '', stderr: '' });
      }
    }
    expect(await observed).toMatchObject({ cipher: 'missing', installed: false });
    const hashing = commands.filter((c) => c.startsWith('sha256sum '));
    expect(hashing).toHaveLength(1);
    expect(hashing[0]).toContain(d.pitr.cipherPath);
    expect(hashing[0]).toContain(d.pitr.cronPath);
  });
});
