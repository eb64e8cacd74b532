import DataLoader from 'dataloader';
import type pg from 'pg';
import type { BackupRecord } from '../resources/backups/retention.js';
import type { HostConfig } from '../config/types.js';
import type { Host } from '../hosts/host.js';
import type { HostKeystore } from '../keystore/keystore.js';
import { gatherCatalog } from '../resources/instance/catalog.js';
import { gatherContainers } from '../resources/container/gather.js';
import type { DesiredAddon, ObservedContainer } from '../resources/model.js';
import type { HostReader, InstanceState } from '../resources/reader.js';
import { UserError } from '../util/errors.js';
import { batchedReadsOf, type BatchedReads, type CommandRunner } from './batched-reads.js';
import type { CatalogRider } from './catalog-rider.js';
import { shq } from '../util/shell.js';
import type { EtcdMember, ObservedHaContainer, PatroniMemberState } from '../resources/ha/model.js';
import { HA_LIST_COMMAND, consensusHostsCommand, parseConsensusHosts, parseHaInspect, parsePatroniMember, patroniClusterCommand } from '../resources/ha/gather.js';
import { memberListCommand, parseMembers } from '../resources/etcd/members.js';
import type { ObservedReplica } from '../resources/replica/model.js';
import { clusterConfigCommand, parseClusterSlots } from '../resources/cluster-slots/gather.js';
import { parseReplicaList, replicaListCommand } from '../resources/replica/gather.js';
import { parseProbe, parseVolumeFiles, probeCommand, volumeFilesCommand, type VolumeLocation, type VolumeProbe } from '../resources/volume/probe.js';

// The HostReader of one host for one run. Files asked for in the same tick are read in one command
// (DataLoader batches them), and every answer is kept for the run, so a kind never costs a round trip of
// its own for what another kind already read. The commands asked for in the same turn (the container list,
// the keystore, the files' hashes) then run together in one exec (batched-reads.ts).

/** SHA-256 of files in one command; missing files are absent from the result. */
async function sha256s(host: Pick<CommandRunner, 'exec'>, paths: readonly string[]): Promise<Map<string, string>> {
  const r = await host.exec(`sha256sum ${paths.map(shq).join(' ')} 2>/dev/null; true`);
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}

export class LiveHostReader implements HostReader {
  private containersRead: Promise<Map<string, ObservedContainer>> | undefined;
  private haRead: Promise<Map<string, ObservedHaContainer>> | undefined;
  private replicasRead: Promise<Map<string, ObservedReplica>> | undefined;
  private readonly instances = new Map<string, Promise<InstanceState>>();
  private readonly hashes = new DataLoader<string, string | null>(async (paths) => {
    const found = await sha256s(this.reads, paths);
    return paths.map((p) => found.get(p) ?? null);
  });
  private readonly nonEmpty = new DataLoader<string, boolean>(async (paths) => {
    const r = await this.reads.exec(`for f in ${paths.map(shq).join(' ')}; do [ -s "$f" ] && printf 'yes %s\\n' "$f"; done; true`);
    const found = new Set(r.stdout.split('\n').filter((l) => l.startsWith('yes ')).map((l) => l.slice(4)));
    return paths.map((p) => found.has(p));
  });

  private readonly certificates = new DataLoader<string, string | null>(async (paths) => {
    // One command for every file asked in this tick: a header line per file, then its certificate blocks.
    const blocks = `sed -n '/^-----BEGIN CERTIFICATE-----$/,/^-----END CERTIFICATE-----$/p'`;
    const r = await this.reads.exec(`${paths.map((p, i) => `echo '@@ ${i}'; ${blocks} ${shq(p)} 2>/dev/null`).join('; ')}; true`);
    const found = new Map<number, string>();
    for (const section of r.stdout.split(/^@@ /m).slice(1)) {
      const nl = section.indexOf('\n');
      if (nl > 0 && section.slice(nl + 1).trim()) found.set(Number(section.slice(0, nl)), section.slice(nl + 1));
    }
    return paths.map((_, i) => found.get(i) ?? null);
  });

  private readonly values = new DataLoader<string, Record<string, string> | null>(async (requests) => {
    // One command for every file asked in this tick: a header line per file that exists, then its lines
    // of the keys asked (grep on the host, so no other line crosses the connection).
    const parts = requests.map((r, i) => {
      const { path, keys } = JSON.parse(r) as { path: string; keys: string[] };
      return `if [ -f ${shq(path)} ]; then echo '@@ ${i}'; grep -E ${shq(`^(${keys.join('|')})=`)} ${shq(path)}; fi`;
    });
    const r = await this.reads.exec(`${parts.join('; ')}; true`);
    const found = new Map<number, Record<string, string>>();
    let current: Record<string, string> | undefined;
    for (const line of r.stdout.split('\n')) {
      const header = /^@@ (\d+)$/.exec(line);
      if (header) found.set(Number(header[1]), (current = {}));
      else if (current && line.includes('=')) current[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
    return requests.map((_, i) => found.get(i) ?? null);
  });

  // The loaders' batch functions run later, once the constructor has set `reads`.
  private readonly reads: BatchedReads;

  constructor(
    readonly host: HostConfig,
    private readonly live: Host,
    private readonly keystore: HostKeystore,
    /** Lists an add-on's backups in its storage (S3 from this machine, or a directory on a host). */
    private readonly listBackups: (addon: string) => Promise<BackupRecord[]> = () => Promise.resolve([]),
    /** Reads of the same command that share gather's connection to each add-on (status's figures). */
    private readonly rider?: CatalogRider,
  ) {
    this.reads = batchedReadsOf(live);
  }

  fileValues(path: string, keys: readonly string[]): Promise<Record<string, string> | null> {
    if (!keys.every((k) => /^[A-Z][A-Z0-9_]*$/.test(k))) return Promise.reject(new Error(`fileValues: not setting names: ${keys.join(', ')}`));
    return this.values.load(JSON.stringify({ path, keys: [...keys].sort() }));
  }

  async volume(where: VolumeLocation): Promise<VolumeProbe> {
    return parseProbe((await this.reads.exec(probeCommand(where))).stdout);
  }

  async volumeFiles(): Promise<string[]> {
    return parseVolumeFiles((await this.reads.exec(volumeFilesCommand(this.host.dataDir))).stdout);
  }

  backups(addon: string): Promise<BackupRecord[]> {
    return this.listBackups(addon);
  }

  containers(): Promise<Map<string, ObservedContainer>> {
    this.containersRead ??= gatherContainers(this.reads);
    return this.containersRead;
  }

  haContainers(): Promise<Map<string, ObservedHaContainer>> {
    this.haRead ??= this.reads.exec(HA_LIST_COMMAND).then((r) => {
      if (r.code !== 0) throw new Error(`host ${this.host.name}: cannot list containers: ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}`);
      return parseHaInspect(r.stdout);
    });
    return this.haRead;
  }

  replicas(): Promise<Map<string, ObservedReplica>> {
    this.replicasRead ??= this.reads.exec(replicaListCommand()).then((r) => {
      if (r.code !== 0) throw new Error(`host ${this.host.name}: cannot list read replicas: ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}`);
      return parseReplicaList(r.stdout);
    });
    return this.replicasRead;
  }

  async patroniMember(container: string, apiPort: number, member: string): Promise<PatroniMemberState | null> {
    const r = await this.reads.exec(patroniClusterCommand(container, apiPort));
    return r.code === 0 ? parsePatroniMember(r.stdout, member) : null;
  }

  async consensusHosts(path: string): Promise<string[] | null> {
    const r = await this.reads.exec(consensusHostsCommand(path));
    return r.code === 0 ? parseConsensusHosts(r.stdout) : null;
  }

  async etcdMembers(container: string): Promise<EtcdMember[] | null> {
    const r = await this.reads.exec(memberListCommand(container));
    return r.code === 0 ? parseMembers(r.stdout) : null;
  }

  async patroniSlots(container: string, apis: string[]): Promise<string[] | null> {
    const r = await this.reads.exec(clusterConfigCommand(container, apis));
    return r.code === 0 ? parseClusterSlots(r.stdout) : null;
  }

  certificate(path: string): Promise<string | null> {
    return this.certificates.load(path);
  }

  fileHash(path: string): Promise<string | null> {
    return this.hashes.load(path);
  }

  fileExists(path: string): Promise<boolean> {
    return this.nonEmpty.load(path);
  }

  secret(key: string): Promise<string | undefined> {
    return this.keystore.get(key, this.reads);
  }

  instance(desired: DesiredAddon): Promise<InstanceState> {
    let read = this.instances.get(desired.name);
    if (!read) {
      read = this.readInstance(desired).finally(() => this.rider?.done(desired.name));
      this.instances.set(desired.name, read);
    }
    return read;
  }

  private async readInstance(d: DesiredAddon): Promise<InstanceState> {
    // The keystore is asked for with the container list, so both are read in the same exec. Its answer
    // (or error) matters only for a running container.
    const secret = this.secret(d.superuserKey);
    secret.catch(() => undefined);
    if (d.ha) return this.readThroughGateway(d, secret);
    const container = (await this.containers()).get(d.name);
    if (!container?.running) {
      // A promoted read replica's data is still in the replica's directory: inside it is what promotion brings.
      const initialized = container !== undefined || (await this.fileExists(`${d.container.dataDir}/pgdata/PG_VERSION`)) ||
        (d.promotedFrom !== undefined && (await this.fileExists(`${d.promotedFrom.dataDir}/pgdata/PG_VERSION`)));
      return { state: initialized ? 'stopped' : 'absent', catalog: null };
    }
    const password = await secret;
    if (password === undefined) {
      throw new UserError(
        `host ${this.host.name}, add-on ${d.name}: the container exists but the keystore on the host has no superuser password for it; dbform cannot manage an instance it did not create`,
      );
    }
    const read = await this.readCatalog(d, container.port, password).catch((err) => {
      throw new UserError(`host ${this.host.name}, add-on ${d.name}: cannot read the database catalog: ${(err as Error).message}`);
    });
    return { state: 'running', ...read };
  }

  /** The add-on's catalog on one connection; a rider's queries run on it too, and it is closed once they
   *  are over as well. */
  private readCatalog(d: DesiredAddon, port: number, password: string) {
    return withClient(this.live, port, password, async (connect) => {
      const rides: Promise<void>[] = [];
      try {
        return await gatherCatalog(async (database) => {
          const client = await connect(database);
          if (this.rider) rides.push(this.rider.ride(d.name, client));
          return client;
        }, d);
      } finally {
        await Promise.allSettled(rides);
      }
    });
  }

  /** A highly available add-on: its catalog is read on whichever member is the primary, through the gateway
   *  on this host (the add-on's port). Nothing created yet: absent; created but no primary reachable:
   *  stopped (what is inside is known once it runs again). A single instance of the add-on on this host (made
   *  before the file listed its hosts) answers on that port instead: what it holds is not the cluster's, which
   *  is not made yet (the plan deletes the instance), so the cluster is absent. */
  private async readThroughGateway(d: DesiredAddon, secret: Promise<string | undefined>): Promise<InstanceState> {
    if ((await this.containers()).has(d.name)) return { state: 'absent', catalog: null };
    const password = await secret;
    if (password === undefined) {
      const initialized = await this.fileExists(`${d.container.dataDir}/pgdata/PG_VERSION`);
      return { state: initialized ? 'stopped' : 'absent', catalog: null };
    }
    try {
      return { state: 'running', ...(await this.readCatalog(d, d.container.port, password)) };
    } catch {
      return { state: 'stopped', catalog: null };
    }
  }
}

/** Opens connections on demand and closes them all when `fn` settles. */
export async function withClient<T>(
  host: Host,
  port: number,
  password: string,
  fn: (connect: (db: string) => Promise<pg.Client>) => Promise<T>,
): Promise<T> {
  const opened: pg.Client[] = [];
  try {
    return await fn(async (database) => {
      const c = await host.connectPg({ port, user: 'postgres', password, database });
      opened.push(c);
      return c;
    });
  } finally {
    await Promise.all(opened.map((c) => c.end().catch(() => undefined)));
  }
}
