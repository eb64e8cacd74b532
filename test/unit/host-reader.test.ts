// LiveHostReader on a scripted host: the keystore and the container list are read in one exec (batched-reads.ts),
// and the keystore's answer still matters only for a running container.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { LocalHost } from '../../src/hosts/local.js';
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

/** A host whose commands stay pending until the test answers them, in the order they were sent (a batch's
 *  script is streamed: its answer is written to the stream's stdout, then the command ends). */
function scriptedHost(): { host: Host; sent: Pending[] } {
  const sent: Pending[] = [];
  const host = {
    name: 'db-1',
    exec: (command: string) => new Promise<ExecResult>((answer) => sent.push({ command, answer })),
    stream: (command: string) => {
      const stdout = new PassThrough();
      const done = new Promise<{ code: number; stderr: string }>((resolve) =>
        sent.push({ command, answer: (r) => (stdout.end(r.stdout), resolve({ code: r.code, stderr: r.stderr })) }),
      );
      return { stdout, done };
    },
  } as unknown as Host;
  return { host, sent };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

/** Answers a batched script (batched-reads.ts): each command in it gets the answer of the first `answers`
 *  key it contains, framed the way the script frames its commands' output. */
function answerBatch(p: Pending, answers: Record<string, ExecResult>): string[] {
  const marker = /@@dbform-[0-9a-f]+/.exec(p.command)![0];
  const commands = p.command.split('$( (\n').slice(1).map((part) => part.slice(0, part.indexOf('\n) </dev/null')));
  let stdout = '';
  commands.forEach((c, i) => {
    const key = Object.keys(answers).find((k) => c.includes(k));
    if (key === undefined) throw new Error(`no answer for ${c}`);
    const stderr = Buffer.from(`${answers[key]!.stderr}.`).toString('base64');
    stdout += `${answers[key]!.stdout}\n${marker} ${i} ${answers[key]!.code} ${stderr}\n`;
  });
  p.answer({ code: 0, stdout, stderr: '' });
  return commands;
}
const ok = (stdout: string): ExecResult => ({ code: 0, stdout, stderr: '' });
const HOST = { name: 'db-1', transport: 'ssh', dataDir: '/var/lib/dbform' } as HostConfig;

function reader(host: Host): LiveHostReader {
  return new LiveHostReader(HOST, host, new HostKeystore(host, '/var/lib/dbform/.keystore', deriveKey('test-only-master-key')));
}

describe('LiveHostReader.instance', () => {
  it('reads the keystore and the container list in one exec', async () => {
    const { host, sent } = scriptedHost();
    const state = reader(host).instance(desired());
    await flush();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.command).toContain('grep -H');
    expect(sent[0]!.command).toContain('docker ps');
    // The container is not there: the data directory decides between absent and stopped.
    answerBatch(sent[0]!, { 'grep -H': ok(''), 'docker ps': ok('[]') });
    await flush();
    expect(sent[1]!.command).toContain('PG_VERSION');
    sent[1]!.answer(ok(''));
    expect(await state).toEqual({ state: 'absent', catalog: null });
  });

  it('ignores a failed keystore read when no container runs, as when it was not read', async () => {
    const { host, sent } = scriptedHost();
    const state = reader(host).instance(desired());
    await flush();
    answerBatch(sent[0]!, { 'grep -H': { code: 2, stdout: '', stderr: 'Permission denied' }, 'docker ps': ok('[]') });
    await flush();
    sent[1]!.answer(ok('yes /var/lib/dbform/shop/pgdata/PG_VERSION\n'));
    expect(await state).toEqual({ state: 'stopped', catalog: null });
  });

  it('says the Docker engine does not answer when its part of the batch fails, with its own stderr', async () => {
    const { host, sent } = scriptedHost();
    const state = reader(host).instance(desired());
    await flush();
    answerBatch(sent[0]!, { 'grep -H': ok(''), 'docker ps': { code: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon' } });
    await expect(state).rejects.toThrow(/cannot list containers: the Docker engine does not answer \(Cannot connect to the Docker daemon\)/);
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
        if (p.command.includes('@@dbform-')) commands.push(...answerBatch(p, { 'docker ps': ok('[]'), '': ok('') }));
        else {
          commands.push(p.command);
          p.answer(ok(''));
        }
      }
    }
    expect(await observed).toMatchObject({ cipher: 'missing', installed: false });
    const hashing = commands.filter((c) => c.startsWith('sha256sum '));
    expect(hashing).toHaveLength(1);
    expect(hashing[0]).toContain(d.pitr.cipherPath);
    expect(hashing[0]).toContain(d.pitr.cronPath);
  });
});

describe('LiveHostReader.certificate', () => {
  it('reads only the certificate blocks of files (a key never crosses), in one command per tick', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certs-'));
    try {
      const certBlock = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      writeFileSync(join(dir, 'server.crt'), `subject=CN=x\n${certBlock}`);
      writeFileSync(join(dir, 'both.pem'), `-----BEGIN PRIVATE KEY-----\nSECRET\n-----END PRIVATE KEY-----\n${certBlock}`);
      writeFileSync(join(dir, 'server.key'), '-----BEGIN PRIVATE KEY-----\nSECRET\n-----END PRIVATE KEY-----\n');
      const local = new LocalHost('here');
      const execs: string[] = [];
      const host = { name: 'here', exec: (c: string) => (execs.push(c), local.exec(c)), stream: (c: string) => local.stream(c) } as unknown as Host;
      const read = reader(host);
      const got = await Promise.all(['server.crt', 'both.pem', 'server.key', 'missing.crt'].map((f) => read.certificate(join(dir, f))));
      expect(got).toEqual([certBlock, certBlock, null, null]);
      expect(execs).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
