import type { AnyKind, DesiredContext, Placed } from '../resources/kind.js';
import type { DesiredAddon } from '../resources/model.js';
import type { HostReader } from '../resources/reader.js';
import { KINDS } from '../resources/registry.js';
import type { Config } from '../config/types.js';
import { canonicalSha256Hex } from '../util/canonical.js';

// The pipeline's first two stages. desiredFleet is pure (config -> every kind's resources); gather reads
// the live state of those resources, every host in parallel, without changing anything. What a host
// answers is plain data (ObservedFleet), so plans can be rebuilt from recorded observations.

/** kind -> its declared resources. */
export type DesiredFleet = Map<string, Placed<unknown>[]>;

export interface UndeclaredResource {
  key: string;
  host: string;
  addon: string;
  observed: unknown;
}

export interface ObservedFleet {
  /** Hosts whose state was read (the plan covers only these). */
  hosts: string[];
  /** kind -> resource key -> observed state. */
  declared: Record<string, Record<string, unknown>>;
  /** kind -> resources found on the hosts read that the config does not declare. */
  undeclared: Record<string, UndeclaredResource[]>;
  /** Keys of add-ons whose instance exists but is not running: what is inside is known after apply. */
  stopped: string[];
  /** SHA-256 of all of the above: apply refuses a saved plan made from another live state. */
  fingerprint: string;
}

export interface Gathered {
  observed: ObservedFleet;
  /** Hosts whose state could not be read (engine down, catalog unreadable): left out of the plan. */
  hostErrors: Map<string, string>;
}

export function desiredFleet(config: Config, ctx: DesiredContext, kinds: readonly AnyKind[] = KINDS): DesiredFleet {
  return new Map(kinds.map((k) => [k.kind, k.desired(config, ctx)]));
}

interface HostObservation {
  declared: Record<string, Record<string, unknown>>;
  undeclared: Record<string, UndeclaredResource[]>;
  stopped: string[];
}

async function gatherKindOnHost(kind: AnyKind, onHost: DesiredFleet, read: HostReader, into: HostObservation): Promise<void> {
  const placed = onHost.get(kind.kind) ?? [];
  const observed: Record<string, unknown> = {};
  await Promise.all(
    placed.map(async (p) => {
      if (kind.reads === 'instance') {
        // Instance kinds are add-on kinds: their desired state is the add-on's (resources/desired.ts).
        const instance = await read.instance(p.desired as DesiredAddon);
        if (instance.state === 'stopped') {
          if (!into.stopped.includes(p.key)) into.stopped.push(p.key);
          return;
        }
      }
      observed[p.key] = await kind.gather(read, p);
    }),
  );
  into.declared[kind.kind] = observed;
  if (kind.undeclared) into.undeclared[kind.kind] = await kind.undeclared(read, new Set(placed.map((p) => p.key)), onHost);
}

async function gatherHost(desired: DesiredFleet, read: HostReader, kinds: readonly AnyKind[]): Promise<HostObservation> {
  const into: HostObservation = { declared: {}, undeclared: {}, stopped: [] };
  const onHost: DesiredFleet = new Map([...desired].map(([kind, placed]) => [kind, placed.filter((p) => p.host === read.host.name)]));
  await Promise.all(kinds.map((kind) => gatherKindOnHost(kind, onHost, read, into)));
  return into;
}

function sortedRecord<T>(entries: Array<[string, T]>): Record<string, T> {
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export async function gather(desired: DesiredFleet, readers: Map<string, HostReader>, kinds: readonly AnyKind[] = KINDS): Promise<Gathered> {
  const names = [...readers.keys()].sort();
  const settled = await Promise.allSettled(names.map((h) => gatherHost(desired, readers.get(h)!, kinds)));
  const hostErrors = new Map<string, string>();
  const read: Array<[string, HostObservation]> = [];
  settled.forEach((r, i) => {
    const host = names[i]!;
    if (r.status === 'fulfilled') read.push([host, r.value]);
    else {
      const msg = (r.reason as Error).message;
      hostErrors.set(host, msg.startsWith(`host ${host}`) ? msg : `host ${host}: ${msg}`);
    }
  });
  const declared: ObservedFleet['declared'] = {};
  const undeclared: ObservedFleet['undeclared'] = {};
  for (const kind of kinds) {
    declared[kind.kind] = sortedRecord(read.flatMap(([, o]) => Object.entries(o.declared[kind.kind] ?? {})));
    if (kind.undeclared) undeclared[kind.kind] = read.flatMap(([, o]) => o.undeclared[kind.kind] ?? []).sort((a, b) => (a.key < b.key ? -1 : 1));
  }
  const hosts = read.map(([h]) => h);
  const stopped = read.flatMap(([, o]) => o.stopped).sort();
  const fingerprint = canonicalSha256Hex({ hosts, declared, undeclared, stopped });
  return { observed: { hosts, declared, undeclared, stopped, fingerprint }, hostErrors };
}
