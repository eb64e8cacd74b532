import type { HostConfig } from '../../src/config/types.js';
import type { ObservedCatalog, ObservedContainer } from '../../src/resources/model.js';
import type { HostReader } from '../../src/resources/reader.js';

// A host that answers from a recording: what a real host answered when test/golden/capture.ts ran (or, for
// fresh-host cases, what an empty host answers). The real gather runs on it, so a golden case pins
// "this databases.yaml + these host answers gives this plan" through every stage but the wire.

export interface RecordedAddon {
  container: ObservedContainer | null;
  catalog: ObservedCatalog | null;
  dataInitialized: boolean;
  /** SHA-256 of the add-on's backup and PITR files on its host, by path (null: missing). */
  backupFiles: Record<string, string | null>;
}

export interface Recording {
  /** add-on -> what its host answered about it (an add-on left out: nothing was there). */
  addons: Record<string, RecordedAddon>;
  /** Managed containers of add-ons that are not in the file. */
  orphans: { host: string; container: ObservedContainer }[];
  /** host -> keystore key -> value (test-only passwords). */
  keystore: Record<string, Record<string, string>>;
  /** Environment variables the config names (test-only values). */
  env: Record<string, string>;
  /** host -> why it could not be read (it gets no reader, as a host that refused the connection). */
  hostErrors: Record<string, string>;
}

export function recordedReader(host: HostConfig, rec: Recording, addonHosts: Record<string, string>): HostReader {
  const here = Object.entries(rec.addons).filter(([addon]) => addonHosts[addon] === host.name);
  const files = new Map(here.flatMap(([, a]) => Object.entries(a.backupFiles)));
  return {
    host,
    async containers() {
      const found = new Map<string, ObservedContainer>();
      for (const [addon, a] of here) if (a.container) found.set(addon, a.container);
      for (const o of rec.orphans) if (o.host === host.name) found.set(o.container.addon, o.container);
      return found;
    },
    fileHash: async (path) => files.get(path) ?? null,
    async fileExists(path) {
      const m = /\/([^/]+)\/pgdata\/PG_VERSION$/.exec(path);
      return m !== null && rec.addons[m[1]!]?.dataInitialized === true;
    },
    async instance(desired) {
      const a = rec.addons[desired.name];
      if (a?.container?.running) return { state: 'running', catalog: a.catalog };
      return { state: a && (a.container || a.dataInitialized) ? 'stopped' : 'absent', catalog: null };
    },
    secret: async (key) => rec.keystore[host.name]?.[key],
    // Recordings predate these reads: the retention settings and backups of a recorded add-on are none.
    fileValues: async () => null,
    backups: async () => [],
    // Recordings predate encryption at rest: a host with device-mapper and no volume on it.
    volume: async () => ({ deviceMapper: true, cryptsetup: true, fileBytes: null, header: null, open: false, mountedFrom: null, pgdata: false }),
  };
}
