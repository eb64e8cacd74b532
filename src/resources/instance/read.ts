import type { Placed } from '../kind.js';
import type { DesiredAddon, ObservedCatalog } from '../model.js';
import type { HostReader } from '../reader.js';

// Shared by the kinds that read the add-on's running instance (users, database, grants, extensions, TLS,
// access): one catalog query per instance and run, whichever kind asks first. The pipeline only calls
// their gather for a running or absent instance; a stopped one is "known after apply" (converge.ts).
export async function readCatalog(read: HostReader, placed: Placed<DesiredAddon>): Promise<ObservedCatalog | null> {
  return (await read.instance(placed.desired)).catalog;
}
