import type { Host } from '../../hosts/host.js';
import type { ObservedContainer } from '../model.js';
import { CONTAINER_DATA_DIR } from '../desired.js';
import { shq } from '../../util/shell.js';
import { RELOADABLE_SETTINGS, parseAutoConf } from './log-settings.js';

// Reads every container dbform manages on a host in one command. Containers without the
// dbform.managed label are never looked at, so they can never be changed or removed.

export const MANAGED_LABEL = 'dbform.managed';
export const ADDON_LABEL = 'dbform.addon';

/** Label scripts/build-image.sh puts on an image: the PostgreSQL version it packages ("15.14"). */
export const VERSION_LABEL = 'dbform.postgres.version';
const IMAGES_MARKER = '@@dbform-images';
/** One JSON object per image of the host: its ID, names and labels (a host holds a handful of images). */
const IMAGE_FORMAT = '{"id":{{json .Id}},"tags":{{json .RepoTags}},"labels":{{json .Config.Labels}}}';
const DATA_DIRS_MARKER = '@@dbform-data-dirs';
const NO_DATA_MARK = '#nodata';

/**
 * One command for everything gather needs of the managed containers: their `docker inspect`; every image of
 * the host (a rebuilt image, i.e. a name now pointing to another ID, is a minor upgrade); and per data
 * directory (found in the inspect output's bind lines) whether it holds a cluster, its major version
 * (PG_VERSION), the settings set with ALTER SYSTEM (RELOADABLE_SETTINGS: only those lines of
 * postgresql.auto.conf) and the directories kept after a major upgrade. Over SSH each exec costs a session
 * (a few hundred ms on a busy host), and this read is on every plan's critical path.
 */
export function containerListCommand(): string {
  const keys = [...RELOADABLE_SETTINGS].join('|');
  // A data bind is a line `"/host/dir:/var/lib/dbform"` (or with `:rw`...) in HostConfig.Binds.
  const bindLine = `s#^ *"\\(/[^"]*\\):${CONTAINER_DATA_DIR}\\(:[a-z,]*\\)\\{0,1\\}",\\{0,1\\}$#\\1#p`;
  const perDir = [
    'echo "@@ $d"',
    `[ -s "$d/pgdata/PG_VERSION" ] || echo ${shq(NO_DATA_MARK)}`,
    `grep -E ${shq(`^(${keys}) = `)} "$d/pgdata/postgresql.auto.conf" 2>/dev/null`,
    `printf '@PG_VERSION %s\\n' "$(cat "$d/pgdata/PG_VERSION" 2>/dev/null)"`,
    `for k in "$d"/${KEPT_PREFIX}* "$d"/${RESTORE_KEPT_PREFIX}*; do [ -d "$k" ] && printf '@KEPT %s\\n' "\${k##*/}"; done`,
  ].join('; ');
  return [
    `ids=$(docker ps -aq --filter label=${MANAGED_LABEL}=true) || exit 1`,
    `if [ -z "$ids" ]; then echo '[]'; exit 0; fi`,
    'json=$(docker inspect $ids) || exit 1',
    `printf '%s\\n' "$json"; echo ${IMAGES_MARKER}`,
    `imgs=$(docker images -q --no-trunc | sort -u); [ -z "$imgs" ] || docker image inspect --format ${shq(IMAGE_FORMAT)} $imgs`,
    `echo ${DATA_DIRS_MARKER}`,
    `printf '%s\\n' "$json" | sed -n ${shq(bindLine)} | while IFS= read -r d; do ${perDir}; done`,
    'true',
  ].join('\n');
}

export async function gatherContainers(host: Pick<Host, 'name' | 'exec'>): Promise<Map<string, ObservedContainer>> {
  const r = await host.exec(containerListCommand());
  if (r.code !== 0) {
    const detail = r.stderr.trim().split('\n').slice(-3).join(' ');
    throw new Error(`host ${host.name}: cannot list containers: the Docker engine does not answer (${detail}). Start dockerd on the host.`);
  }
  return parseContainerList(r.stdout);
}

/** Pure: the list command's output -> observed containers with their image and data directory facts. */
export function parseContainerList(stdout: string): Map<string, ObservedContainer> {
  const [inspect = '', rest = ''] = stdout.split(`\n${IMAGES_MARKER}\n`);
  const [images = '', dirs = ''] = rest.split(`\n${DATA_DIRS_MARKER}\n`);
  const containers = parseInspect(inspect);
  withImages(containers, parseImages(images));
  const byDir = new Map([...containers.values()].map((c) => [c.dataDir, c]));
  for (const section of dirs.split(/^@@ /m).slice(1)) {
    const nl = section.indexOf('\n');
    const c = byDir.get(nl < 0 ? section : section.slice(0, nl));
    const body = nl < 0 ? '' : section.slice(nl + 1);
    if (!c) continue;
    // A container whose data directory holds no cluster serves nothing, whatever Docker says (started at boot
    // on an encrypted volume's mount point before the volume was opened): it counts as not running.
    if (body.startsWith(`${NO_DATA_MARK}\n`)) c.running = false;
    Object.assign(c, parseDataDirSection(c, body));
  }
  return containers;
}

export interface ImageInfo {
  id: string;
  /** PostgreSQL version the image packages (its label), null when it has none. */
  version: string | null;
}

/** Pure: the image lines -> images by ID and by each of their names ("dbform-postgresql:15"). */
export function parseImages(text: string): Map<string, ImageInfo> {
  const out = new Map<string, ImageInfo>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const i = JSON.parse(line) as { id: string; tags: string[] | null; labels: Record<string, string> | null };
    const info = { id: i.id, version: i.labels?.[VERSION_LABEL] ?? null };
    out.set(i.id, info);
    for (const t of i.tags ?? []) out.set(t, info);
  }
  return out;
}

/** Pure: sets each container's image facts: what it runs, and what its image name points to now. */
export function withImages(containers: Map<string, ObservedContainer>, images: Map<string, ImageInfo>): void {
  for (const c of containers.values()) {
    if (!c.imageId) continue;
    c.imageVersion = images.get(c.imageId)?.version ?? null;
    const tag = images.get(c.image) ?? images.get(c.image.includes(':') ? c.image : `${c.image}:latest`);
    c.tagImageId = tag?.id ?? null;
    c.tagVersion = tag?.version ?? null;
  }
}

/** Kept data directories are named pgdata.pgNN after a major upgrade (NN: the major version they hold), and
 *  pgdata.before-restore-TIME after an in-place restore (src/resources/pitr/restore.ts, src/restore/). */
export const KEPT_PREFIX = 'pgdata.pg';
export const RESTORE_KEPT_PREFIX = 'pgdata.before-restore-';

/** Pure: one data directory's section -> its reloadable settings merged in, data version, kept directories. */
export function parseDataDirSection(c: ObservedContainer, text: string): Pick<ObservedContainer, 'settings' | 'dataVersion' | 'keptData'> {
  const version = /^@PG_VERSION (\d*)$/m.exec(text)?.[1];
  const kept = [...text.matchAll(/^@KEPT (\S+)$/gm)].map((m) => m[1]!).sort();
  return { settings: { ...c.settings, ...parseAutoConf(text) }, dataVersion: version || null, keptData: kept };
}

interface InspectEntry {
  Name: string;
  Image?: string;
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
      ...(c.Image && { imageId: c.Image }),
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
