import type { Host } from '../../hosts/host.js';
import type { ObservedContainer } from '../model.js';
import { CONTAINER_DATA_DIR } from '../desired.js';
import { shq } from '../../util/shell.js';
import { RELOADABLE_SETTINGS, parseAutoConf } from './log-settings.js';

// Reads every container dbform manages on a host in one command. Containers without the
// dbform.managed label are never looked at, so they can never be changed or removed.

export const MANAGED_LABEL = 'dbform.managed';
export const ADDON_LABEL = 'dbform.addon';

const LIST_COMMAND = `ids=$(docker ps -aq --filter label=${MANAGED_LABEL}=true) && if [ -n "$ids" ]; then docker inspect $ids; else echo '[]'; fi`;

export async function gatherContainers(host: Pick<Host, 'name' | 'exec'>): Promise<Map<string, ObservedContainer>> {
  const r = await host.exec(LIST_COMMAND);
  if (r.code !== 0) {
    const detail = r.stderr.trim().split('\n').slice(-3).join(' ');
    throw new Error(`host ${host.name}: cannot list containers: the Docker engine does not answer (${detail}). Start dockerd on the host.`);
  }
  return withReloadable(host, parseInspect(r.stdout));
}

/**
 * Adds the settings set with ALTER SYSTEM (RELOADABLE_SETTINGS: not on the command line) to each
 * container's, read from every data directory's postgresql.auto.conf in one command (only those lines).
 */
async function withReloadable(host: Pick<Host, 'name' | 'exec'>, containers: Map<string, ObservedContainer>): Promise<Map<string, ObservedContainer>> {
  const withData = [...containers.values()].filter((c) => c.dataDir.startsWith('/'));
  if (withData.length === 0) return containers;
  const keys = [...RELOADABLE_SETTINGS].join('|');
  // A container whose data directory holds no cluster serves nothing, whatever Docker says (started at boot
  // on an encrypted volume's mount point before the volume was opened): it counts as not running.
  const parts = withData.map((c) => `echo ${shq(`@@ ${c.addon}`)}; [ -s ${shq(`${c.dataDir}/pgdata/PG_VERSION`)} ] || echo '#nodata'; grep -E ${shq(`^(${keys}) = `)} ${shq(`${c.dataDir}/pgdata/postgresql.auto.conf`)} 2>/dev/null`);
  const r = await host.exec(`${parts.join('; ')}; true`);
  const sections = r.stdout.split(/^@@ /m).slice(1);
  for (const section of sections) {
    const nl = section.indexOf('\n');
    const c = containers.get(nl < 0 ? section : section.slice(0, nl));
    const body = nl < 0 ? '' : section.slice(nl + 1);
    if (!c) continue;
    if (body.startsWith('#nodata\n')) c.running = false;
    Object.assign(c.settings, parseAutoConf(body.replace(/^#nodata\n/, '')));
  }
  return containers;
}

interface InspectEntry {
  Name: string;
  Config: { Image: string; Labels: Record<string, string> | null; Cmd: string[] | null };
  HostConfig: { Memory: number; Binds: string[] | null };
  State: { Status: string; Running: boolean; Restarting?: boolean };
}

/** Pure: `docker inspect` JSON -> observed containers keyed by add-on name. */
export function parseInspect(json: string): Map<string, ObservedContainer> {
  const out = new Map<string, ObservedContainer>();
  for (const c of JSON.parse(json) as InspectEntry[]) {
    const addon = c.Config.Labels?.[ADDON_LABEL];
    if (!addon) continue;
    const settings = parseSettings(c.Config.Cmd ?? []);
    const binds = c.HostConfig.Binds ?? [];
    const bind = binds.find((b) => b.split(':')[1] === CONTAINER_DATA_DIR);
    out.set(addon, {
      addon,
      name: c.Name.replace(/^\//, ''),
      image: c.Config.Image,
      memoryMb: Math.round(c.HostConfig.Memory / (1024 * 1024)),
      port: Number(settings.port ?? 5432),
      settings,
      status: c.State.Status,
      // Docker counts a container in its restart loop as running; it serves nothing (e.g. started at boot
      // on an encrypted volume's mount point before the volume was opened).
      running: c.State.Running && c.State.Restarting !== true,
      dataDir: bind?.split(':')[0] ?? '',
      mounts: binds.filter((b) => b !== bind).sort(),
    });
  }
  return out;
}

/** `postgres -D dir -c a=b -c c=d` -> { a: 'b', c: 'd' } */
export function parseSettings(cmd: string[]): Record<string, string> {
  const settings: Record<string, string> = {};
  for (let i = 0; i < cmd.length - 1; i++) {
    if (cmd[i] !== '-c') continue;
    const kv = cmd[i + 1]!;
    const eq = kv.indexOf('=');
    if (eq > 0) settings[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return settings;
}
