// LiveHostReader on a scripted host: the catalog login starts on the declared port as soon as the keystore
// has answered, before the container list has come back; the container list then decides whether that
// early read counts (the add-on's container runs on that port) or is dropped.

import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { LiveHostReader } from '../../src/gather/host-reader.js';
import type { ExecResult, Host, PgLogin } from '../../src/hosts/host.js';
import { deriveKey, seal } from '../../src/keystore/cipher.js';
import { HostKeystore } from '../../src/keystore/keystore.js';
import type { HostConfig } from '../../src/config/types.js';
import type { ObservedCatalog } from '../../src/resources/model.js';
import { desired } from './fixtures.js';

const KEY = deriveKey('test-only-master-key');
const HOST = { name: 'db-1', transport: 'ssh', dataDir: '/var/lib/dbform' } as HostConfig;
const DECLARED_PORT = desired().container.port;
const flush = () => new Promise((r) => setTimeout(r, 0));

/** A catalog that tells which login read it (the port is in the server certificate's place). */
const catalogOn = (port: number): ObservedCatalog => ({
  databaseExists: true,
  databaseOwner: 'shop',
  roles: [],
  defaultAcls: [],
  hba: null,
  serverCert: `read on ${port}`,
  rootCert: null,
  extensions: [],
});

interface Login {
  login: PgLogin;
  ended: boolean;
}

/** Commands stay pending until the test answers them; logins are recorded and answer with catalogOn(port),
 *  or fail when the port is in `refused`. */
function scriptedHost(refused: number[] = []) {
  const sent: { command: string; answer: (r: ExecResult) => void }[] = [];
  const logins: Login[] = [];
  const host = {
    name: 'db-1',
    exec: (command: string) => new Promise<ExecResult>((answer) => sent.push({ command, answer })),
    connectPg: async (login: PgLogin) => {
      const entry = { login, ended: false };
      logins.push(entry);
      if (refused.includes(login.port)) throw new Error(`connect ECONNREFUSED 127.0.0.1:${login.port}`);
      return {
        query: async () => ({ rows: [{ catalog: { ...catalogOn(login.port), archiver: null } }] }),
        end: async () => void (entry.ended = true),
      } as unknown as pg.Client;
    },
  } as unknown as Host;
  const answer = (match: string, stdout: string) => sent.find((p) => p.command.includes(match))!.answer({ code: 0, stdout, stderr: '' });
  return { host, sent, logins, answer };
}

const keystoreLine = `${Buffer.from('addon/shop/postgres').toString('base64url')}.enc:${seal(KEY, 'addon/shop/postgres', 'superuser-pw')}\n`;
const inspect = (port: number, running = true) =>
  JSON.stringify([
    {
      Name: '/dbform-shop',
      Config: { Image: 'dbform-postgresql:15', Labels: { 'dbform.addon': 'shop' }, Cmd: ['postgres', '-c', `port=${port}`] },
      HostConfig: { Memory: 512 * 1024 * 1024, Binds: ['/var/lib/dbform/shop:/var/lib/postgresql/data'] },
      State: { Status: running ? 'running' : 'exited', Running: running },
    },
  ]);

function start(refused: number[] = []) {
  const h = scriptedHost(refused);
  const reader = new LiveHostReader(HOST, h.host, new HostKeystore(h.host, '/var/lib/dbform/.keystore', KEY));
  const state = reader.instance(desired());
  return { ...h, state };
}

describe('LiveHostReader.instance: the early catalog read', () => {
  it('logs in on the declared port before the container list is back, and keeps that read when the container runs there', async () => {
    const { logins, answer, state } = start();
    await flush();
    answer('grep -H', keystoreLine);
    await flush();
    expect(logins.map((l) => [l.login.port, l.login.user, l.login.database])).toEqual([[DECLARED_PORT, 'postgres', 'shop']]);
    answer('docker ps', inspect(DECLARED_PORT));
    const read = await state;
    expect(read.state).toBe('running');
    expect(read.catalog?.serverCert).toBe(`read on ${DECLARED_PORT}`);
    expect(logins).toHaveLength(1);
    expect(logins[0]!.ended).toBe(true);
  });

  it('drops the early read when the container runs on another port, and reads on that port', async () => {
    const { logins, answer, state } = start();
    await flush();
    answer('grep -H', keystoreLine);
    await flush();
    answer('docker ps', inspect(DECLARED_PORT + 7));
    const read = await state;
    expect(read.catalog?.serverCert).toBe(`read on ${DECLARED_PORT + 7}`);
    expect(logins.map((l) => l.login.port)).toEqual([DECLARED_PORT, DECLARED_PORT + 7]);
    expect(logins.every((l) => l.ended)).toBe(true);
  });

  it('drops the early read when the container is stopped: its catalog is unknown', async () => {
    const { answer, state } = start();
    await flush();
    answer('grep -H', keystoreLine);
    await flush();
    answer('docker ps', inspect(DECLARED_PORT, false));
    expect(await state).toEqual({ state: 'stopped', catalog: null });
  });

  it('does not log in at all when the keystore holds no superuser password (nothing created yet)', async () => {
    const { logins, answer, sent, state } = start();
    await flush();
    answer('grep -H', '');
    await flush();
    expect(logins).toEqual([]);
    answer('docker ps', '[]');
    await flush();
    sent.find((p) => p.command.includes('PG_VERSION'))!.answer({ code: 0, stdout: '', stderr: '' });
    expect(await state).toEqual({ state: 'absent', catalog: null });
    expect(logins).toEqual([]);
  });

  it('reads again when the early read failed, and reports that read`s error', async () => {
    const { logins, answer, state } = start([DECLARED_PORT]);
    await flush();
    answer('grep -H', keystoreLine);
    await flush();
    answer('docker ps', inspect(DECLARED_PORT));
    await expect(state).rejects.toThrow(/db-1, add-on shop: cannot read the database catalog: connect ECONNREFUSED/);
    expect(logins.map((l) => l.login.port)).toEqual([DECLARED_PORT, DECLARED_PORT]);
  });
});
