import type { Host } from '../../hosts/host.js';
import type { ObservedContainer } from '../model.js';
import { CONTAINER_DATA_DIR } from '../desired.js';
import { shq } from '../../util/shell.js';
import { RELOADABLE_SETTINGS, parseAutoConf } from './log-settings.js';

// Reads every container dbform manages on a host in one command. Containers without the
// dbform.managed label are never looked at, so they can never be changed or removed.

export const MANAGED_LABEL = 'dbform.managed';
export const ADDON_LABEL = 'dbform.addon';

const RELOADABLE_MARK = '@@reloadable';
const NO_DATA_MARK = '#nodata';

/**
 * One command: the managed containers' `docker inspect`, then the settings set with ALTER SYSTEM
 * (RELOADABLE_SETTINGS: not on the command line) from each one's postgresql.auto.conf (only those lines).
 * The data directories come from the inspect output's bind lines, so no second round trip is needed: over
 * SSH each exec costs a session (a few hundred ms on a busy host), and this read is on every plan's
 * critical path (the catalog connections wait for the container list).
 */
function listCommand(): string {
  const keys = [...RELOADABLE_SETTINGS].join('|');
  // A data bind is a line `"/host/dir:/var/lib/dbform"` (or with `:rw`...) in HostConfig.Binds.
  const bindLine = `s#^ *"\\(/[^"]*\\):${CONTAINER_DATA_DIR}\\(:[a-z,]*\\)\\{0,1\\}",\\{0,1\\}$#\\1#p`;
  return [
    `ids=$(docker ps -aq --filter label=${MANAGED_LABEL}=true) || exit 1`,
    `if [ -z "$ids" ]; then echo '[]'; exit 0; fi`,
    'json=$(docker inspect $ids) || exit 1',
    `printf '%s\\n' "$json"; echo ${RELOADABLE_MARK}`,
    `printf '%s\\n' "$json" | sed -n ${shq(bindLine)} | while IFS= read -r d; do echo "@@ $d"; [ -s "$d/pgdata/PG_VERSION" ] || echo ${NO_DATA_MARK}; grep -E ${shq(`^(${keys}) = `)} "$d/pgdata/postgresql.auto.conf" 2>/dev/null; done`,
    'true',
  ].join('\n');
}

export async function gatherContainers(host: Pick<Host, 'name' | 'exec'>): Promise<Map<string, ObservedContainer>> {
  const r = await host.exec(listCommand());
  if (r.code !== 0) {
    const detail = r.stderr.trim().split('\n').slice(-3).join(' ');
    throw new Error(`host ${host.name}: cannot list containers: the Docker engine does not answer (${detail}). Start dockerd on the host.`);
  }
  return parseContainerList(r.stdout);
}

/** Pure: the list command's output -> observed containers, with their ALTER SYSTEM settings merged in. */
export function parseContainerList(stdout: string): Map<string, ObservedContainer> {
  const at = stdout.search(new RegExp(`^${RELOADABLE_MARK}$`, 'm'));
  const containers = parseInspect(at < 0 ? stdout : stdout.slice(0, at));
  if (at < 0) return containers;
  const byDir = new Map([...containers.values()].map((c) => [c.dataDir, c]));
  for (const section of stdout.slice(at + RELOADABLE_MARK.length).split(/^@@ /m).slice(1)) {
    const nl = section.indexOf('\n');
    const c = byDir.get(nl < 0 ? section : section.slice(0, nl));
    const body = nl < 0 ? '' : section.slice(nl + 1);
    if (!c) continue;
    // A container whose data directory holds no cluster serves nothing, whatever Docker says (started at boot
    // on an encrypted volume's mount point before the volume was opened): it counts as not running.
    if (body.startsWith(`${NO_DATA_MARK}\n`)) c.running = false;
    Object.assign(c.settings, parseAutoConf(body));
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
