import type { Config } from '../config/types.js';
import type { Host } from '../hosts/host.js';
import type { HostKeystore } from '../keystore/keystore.js';
import type { ObservedFleet } from '../plan/build.js';
import { gatherCatalog } from '../resources/catalog/gather.js';
import { gatherContainers } from '../resources/container/gather.js';
import { desiredAddon, superuserKey, userPasswordKey } from '../resources/desired.js';
import type { DesiredAddon, ObservedAddon, ObservedContainer } from '../resources/model.js';
import { canonicalJson, sha256Hex } from '../util/canonical.js';
import { UserError } from '../util/errors.js';
import { shq } from '../util/shell.js';

// Reads the live state of every host, in parallel, without changing anything: one `docker inspect`
// and one keystore read per host, one connection and one catalog query per running add-on.

export interface Gathered {
  desired: DesiredAddon[];
  observed: ObservedFleet;
  /** Hosts whose state could not be read (engine down, catalog unreadable): left out of the plan. */
  hostErrors: Map<string, string>;
}

export interface GatherInput {
  config: Config;
  hosts: Map<string, Host>;
  keystores: Map<string, HostKeystore>;
  caPublicKeyPem: string;
  now: Date;
  backupRecipient: (addon: string) => string;
}

/** SHA-256 of files on a host in one round trip (missing files are absent from the result). */
async function fileHashes(host: Host, paths: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(paths)];
  if (!unique.length) return new Map();
  const r = await host.exec(`sha256sum ${unique.map(shq).join(' ')} 2>/dev/null; true`);
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([0-9a-f]{64})  (.+)$/.exec(line);
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}

async function gatherHost(input: GatherInput, hostName: string) {
  const host = input.hosts.get(hostName)!;
  const keystore = input.keystores.get(hostName)!;
  const containers = await gatherContainers(host);
  const addons = input.config.addons.filter((a) => a.host === hostName);
  const held = new Map<string, string | undefined>();
  for (const a of addons) {
    for (const key of [superuserKey(a.name), userPasswordKey(a.name, a.name), ...a.users.map((u) => userPasswordKey(a.name, u.name))]) {
      held.set(key, await keystore.get(key));
    }
  }
  const desired: DesiredAddon[] = addons.map((a) =>
    desiredAddon(input.config, a, {
      caPublicKeyPem: input.caPublicKeyPem,
      now: input.now,
      heldPassword: (key) => held.get(key),
      backupRecipient: input.backupRecipient,
    }),
  );
  const backupFiles = await fileHashes(host, desired.flatMap((d) => [...Object.keys(d.backups.files), d.backups.cronPath]));
  const observed = new Map<string, ObservedAddon>();
  await Promise.all(
    addons.map(async (a, i) => {
      const d = desired[i]!;
      const container = containers.get(a.name) ?? null;
      let catalog = null;
      if (container?.running) {
        const password = held.get(d.superuserKey);
        if (password === undefined) {
          throw new UserError(
            `host ${hostName}, add-on ${a.name}: the container exists but the keystore on the host has no superuser password for it; dbform cannot manage an instance it did not create`,
          );
        }
        catalog = await withClient(host, container.port, password, (connect) => gatherCatalog(connect, d)).catch((err) => {
          throw new UserError(`host ${hostName}, add-on ${a.name}: cannot read the database catalog: ${(err as Error).message}`);
        });
      }
      const dataInitialized = container !== null || (await host.exec(`test -s ${shq(`${d.container.dataDir}/pgdata/PG_VERSION`)}`)).code === 0;
      const files = Object.fromEntries([...Object.keys(d.backups.files), d.backups.cronPath].map((p) => [p, backupFiles.get(p) ?? null]));
      observed.set(a.name, { container, catalog, dataInitialized, backupFiles: files });
    }),
  );
  // A managed container is this config's to remove only if its data lives under this host's dataDir:
  // two configs (two teams, or a test next to the sandbox) can share a host with different dataDirs.
  const dataDir = input.config.hosts.find((h) => h.name === hostName)!.dataDir;
  const declared = new Set(addons.map((a) => a.name));
  const orphans: { host: string; container: ObservedContainer }[] = [];
  for (const [name, c] of containers) {
    if (!declared.has(name) && c.dataDir.startsWith(`${dataDir}/`)) orphans.push({ host: hostName, container: c });
  }
  return { desired, observed, orphans };
}

/** Opens connections on demand and closes them all when `fn` settles. */
async function withClient<T>(
  host: Host,
  port: number,
  password: string,
  fn: (connect: (db: string) => Promise<import('pg').Client>) => Promise<T>,
): Promise<T> {
  const opened: import('pg').Client[] = [];
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

export async function gather(input: GatherInput): Promise<Gathered> {
  const names = [...input.hosts.keys()].sort();
  const settled = await Promise.allSettled(names.map((h) => gatherHost(input, h)));
  const hostErrors = new Map<string, string>();
  const results = settled.flatMap((r, i) => {
    if (r.status === 'fulfilled') return [r.value];
    const msg = (r.reason as Error).message;
    hostErrors.set(names[i]!, msg.startsWith(`host ${names[i]}`) ? msg : `host ${names[i]}: ${msg}`);
    return [];
  });
  const desired = results.flatMap((r) => r.desired).sort((a, b) => a.name.localeCompare(b.name));
  const addons = new Map<string, ObservedAddon>();
  for (const r of results) for (const [k, v] of r.observed) addons.set(k, v);
  const orphans = results.flatMap((r) => r.orphans).sort((a, b) => a.container.addon.localeCompare(b.container.addon));
  return { desired, observed: { addons, orphans, fingerprint: observedFingerprint(addons, orphans), warnings: [] }, hostErrors };
}

/** Identifies the gathered live state (a saved plan records it; apply refuses a plan of another state). */
export function observedFingerprint(addons: Map<string, ObservedAddon>, orphans: ObservedFleet['orphans']): string {
  return sha256Hex(canonicalJson({ addons: [...addons.entries()].sort(([a], [b]) => a.localeCompare(b)), orphans }));
}
