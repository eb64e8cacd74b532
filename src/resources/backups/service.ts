import { createHash } from 'node:crypto';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config, StorageConfig } from '../../config/types.js';
import type { Host } from '../../hosts/host.js';
import { UserError } from '../../util/errors.js';
import { shq } from '../../util/shell.js';
import { HostDirStore } from './host-store.js';
import { backupIdentity } from './keys.js';
import { type BackupManifest, objectKey, parseManifest } from './manifest.js';
import { backupConfDir, scriptPath, storageOf } from './settings.js';
import { clusterBackupsTaken } from './placement.js';
import type { BackupStore } from './store.js';

// What `dbform backups ...` and apply do with backups, from the machine running dbform.

/** One S3 client per storage and config: a plan lists the backups of every add-on, over one kept-alive agent. */
const s3Stores = new WeakMap<Config, Map<string, Promise<BackupStore>>>();

function s3StoreOf(config: Config, storage: StorageConfig): Promise<BackupStore> {
  let byName = s3Stores.get(config);
  if (!byName) s3Stores.set(config, (byName = new Map()));
  let store = byName.get(storage.name);
  // The AWS SDK takes long to load: only commands that reach an S3 storage pay for it.
  if (!store) byName.set(storage.name, (store = import('./s3-store.js').then((m) => new m.S3Store(storage, config.file))));
  return store;
}

export async function storeFor(config: Config, hosts: Map<string, Host>, addon: string): Promise<BackupStore> {
  const declared = config.addons.find((a) => a.name === addon);
  const storage = declared ? storageOf(config, declared) : config.storage.find((s) => s.name === config.defaults.storage) ?? config.storage[0]!;
  if (storage.type === 's3') return s3StoreOf(config, storage);
  // A local directory lives on a host: the add-on's, or for a removed add-on the host that still has it.
  const candidates = declared ? [declared.host] : [...hosts.keys()];
  for (const name of candidates) {
    const host = hosts.get(name);
    if (!host) continue;
    if (declared || (await host.exec(`test -d ${shq(`${storage.path}/${addon}`)}`)).code === 0) return new HostDirStore(host, storage.path!, storage.name);
  }
  throw new UserError(`no reachable host holds backups of ${addon} in ${storage.path}`);
}

export async function listBackups(store: BackupStore, addon: string): Promise<BackupManifest[]> {
  const manifests = (await store.listManifests(addon)).map(parseManifest).filter((m): m is BackupManifest => m !== null);
  return manifests.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
}

/** Exit status of the host program on a member whose turn it is not (host/dbform-backup.sh). */
const NOT_THIS_MEMBER = 3;

type BackupRun = { id: string; pruned: string[]; host: string } | { skipped: string };

async function runBackupProgram(config: Config, host: Host, addon: string): Promise<BackupRun> {
  const hostCfg = config.hosts.find((h) => h.name === host.name)!;
  const script = scriptPath(hostCfg);
  const env = `${backupConfDir(hostCfg.dataDir, addon)}/backup.env`;
  if ((await host.exec(`test -x ${shq(script)} && test -f ${shq(env)}`)).code !== 0) {
    throw new UserError(`add-on ${addon}: backups are not set up on host ${host.name} yet: run dbform apply first`);
  }
  const r = await host.exec(`${shq(script)} ${shq(env)} manual`);
  if (r.code === NOT_THIS_MEMBER) return { skipped: r.stderr.trim().split('\n').pop() ?? `not taken on ${host.name}` };
  if (r.code !== 0) {
    throw new UserError(`add-on ${addon}: the backup failed on host ${host.name}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  }
  const lines = r.stdout.trim().split('\n');
  return { id: lines.pop()!, pruned: lines.filter((l) => l.startsWith('pruned ')).map((l) => l.slice(7)), host: host.name };
}

/** Runs the host program for a manual backup and waits for it; returns the new backup's id, the host that
 *  took it and what that host pruned after it. A highly available add-on's members are asked in turn: the
 *  program itself declines on the primary while a replica is healthy, so the replica takes it, as cron's. */
export async function createBackup(config: Config, hosts: Map<string, Host>, addon: string): Promise<{ id: string; pruned: string[]; host: string }> {
  const declared = config.addons.find((a) => a.name === addon);
  if (!declared) throw new UserError(`no add-on named ${addon} in ${config.file}`);
  if (declared.hosts.length > 1 && !clusterBackupsTaken(config, declared)) {
    throw new UserError(`add-on ${addon}: a highly available add-on's backups go to an s3 storage only; storage ${storageOf(config, declared).name} is not one`);
  }
  const declined: string[] = [];
  for (const name of declared.hosts) {
    const host = hosts.get(name);
    if (!host) {
      declined.push(`host ${name} cannot be reached`);
      continue;
    }
    const run = await runBackupProgram(config, host, addon);
    if (!('skipped' in run)) return run;
    declined.push(run.skipped);
  }
  throw new UserError(`add-on ${addon}: no member took the backup: ${declined.join('; ')}`);
}

export interface ReadResult {
  sha256: string;
  bytes: number;
}

/**
 * Streams a stored backup: checks its SHA-256 against the manifest and decrypts it (age checks every
 * chunk) into `sink` (null: decrypt and discard, to verify). Memory stays flat whatever the size.
 */
export async function readBackup(
  store: BackupStore,
  masterKey: string,
  m: BackupManifest,
  sink: Writable | null,
  onBytes: (n: number) => void = () => undefined,
): Promise<ReadResult> {
  const hash = createHash('sha256');
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes(bytes);
      cb(null, chunk);
    },
  });
  // The age library (and its post-quantum code) takes longer to load than a no-op plan's own work: only
  // reading a backup loads it, not the plans that list backups through this module.
  const { Decrypter } = await import('age-encryption');
  const { stream, done } = await store.openObject(objectKey(m.addon, m.id));
  const decrypter = new Decrypter();
  decrypter.addIdentity(backupIdentity(masterKey, m.addon));
  const where = `backup ${m.id} of ${m.addon}`;
  try {
    const plain = await decrypter.decrypt(Readable.toWeb(stream.pipe(counter)) as ReadableStream<Uint8Array>);
    const out = sink ?? new Writable({ write: (_c, _e, cb) => cb() });
    await pipeline(Readable.fromWeb(plain as import('node:stream/web').ReadableStream), out);
    await done;
  } catch (e) {
    throw new UserError(`${where} is damaged: it cannot be decrypted (${(e as Error).message})`);
  }
  const sha256 = hash.digest('hex');
  if (m.sha256 && sha256 !== m.sha256) throw new UserError(`${where} is damaged: SHA-256 ${sha256} differs from the manifest's ${m.sha256}`);
  if (m.size !== undefined && bytes !== m.size) throw new UserError(`${where} is damaged: ${bytes} bytes stored, the manifest says ${m.size}`);
  return { sha256, bytes };
}


export async function hostOfAddon(config: Config, hosts: Map<string, Host>, addon: string): Promise<Host> {
  const declared = config.addons.find((a) => a.name === addon);
  if (!declared) throw new UserError(`no add-on named ${addon} in ${config.file}`);
  const host = hosts.get(declared.host);
  if (!host) throw new UserError(`host ${declared.host} of ${addon} cannot be reached`);
  return host;
}

