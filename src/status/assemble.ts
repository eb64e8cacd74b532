import type { AddonConfig } from '../config/types.js';
import type { BackupManifest } from '../resources/backups/manifest.js';
import { backupsEnabled } from '../resources/backups/settings.js';
import { containerName } from '../resources/desired.js';
import { pitrStatus } from '../resources/pitr/info.js';
import type { CatalogFigures } from './catalog.js';
import { cpuPercent, type CpuReading, memoryFigures } from './cgroup.js';
import type { AddonState, AddonStatus, BackupSummary, DiskGuardStatus, DriftSummary, FleetStatus, MemberStatus, PitrSummary } from './model.js';
import type { ProbeAnswer } from './probe.js';
import { catalogKey, isHighlyAvailable, memberHosts } from './members.js';

// Pure: what the hosts, the catalogs and the backup storage answered -> the fleet's status. Every reader's
// answer is plain data (or the reason it failed), so this is tested on recorded answers.

export type Answer<T> = { ok: T } | { error: string };

export interface Readings {
  at: Date;
  probes: Map<string, Answer<ProbeAnswer>>;
  catalogs: Map<string, Answer<CatalogFigures>>;
  /** Only add-ons whose backups are on. */
  backups: Map<string, Answer<BackupManifest[]>>;
  /** null: drift not checked in this sample. */
  drift: Map<string, DriftSummary> | null;
}

function stateOf(probe: ProbeAnswer | undefined, addon: string): AddonState {
  if (!probe) return 'unknown';
  const c = probe.containers.get(addon);
  if (!c) return 'absent';
  return c.running ? 'running' : 'stopped';
}

const cpuSeconds = (r: CpuReading | undefined) => (r ? Number(r.usageNs) / 1e9 : null);

function member(a: AddonConfig, host: string, probe: ProbeAnswer | undefined, catalog: CatalogFigures | undefined): MemberStatus {
  const c = probe?.containers.get(a.name);
  const files = probe?.memory.get(a.name);
  const mem = files && probe ? memoryFigures(files, probe.cgroupVersion) : null;
  const fs = probe?.filesystem.get(a.name);
  const running = c?.running === true;
  return {
    name: containerName(a.name),
    host,
    role: catalog?.inRecovery ? 'replica' : 'primary',
    state: stateOf(probe, a.name),
    startedAt: running && c ? new Date(c.startedAt).toISOString() : null,
    cpuPercent: running && probe ? cpuPercent(probe.cpu[0].get(a.name), probe.cpu[1].get(a.name)) : null,
    cpuSecondsTotal: running ? cpuSeconds(probe?.cpu[1].get(a.name) ?? probe?.cpu[0].get(a.name)) : null,
    memory: {
      current: running ? (mem?.current ?? null) : null,
      peak: running ? (mem?.peak ?? null) : null,
      // The limit docker enforces (HostConfig.Memory), which is also the cgroup's.
      limit: mem?.limit ?? (c && c.memory > 0 ? c.memory : null),
      free: running ? (mem?.free ?? null) : null,
    },
    swap: { current: running ? (mem?.swapCurrent ?? null) : null, limit: mem?.swapLimit ?? null },
    connections: { open: catalog?.connections ?? null, max: catalog?.maxConnections ?? null },
    dataSize: catalog?.dataSize ?? null,
    diskSize: probe?.diskUsage.get(a.name) ?? null,
    disk: { quota: a.diskMb * 1024 * 1024, filesystemSize: fs?.size ?? null, filesystemFree: fs?.free ?? null },
    diskGuard: guardStatus(probe?.guard.get(a.name)),
    replicationLagSeconds: catalog?.inRecovery ? catalog.lagSeconds : null,
  };
}

function guardStatus(values: Record<string, string> | undefined): DiskGuardStatus | null {
  if (!values) return null;
  const mode = values.MODE === 'read-only' || values.MODE === 'read-write' ? values.MODE : null;
  const percent = /^\d+$/.test(values.PERCENT ?? '') ? Number(values.PERCENT) : null;
  return { mode, percent, checkedAt: values.CHECKED || null, error: values.ERROR || null };
}

function backupSummary(a: AddonConfig, answer: Answer<BackupManifest[]> | undefined): BackupSummary | null {
  if (!backupsEnabled(a)) return null;
  if (!answer) return { lastGood: null, count: 0, error: 'not listed in this sample' };
  if ('error' in answer) return { lastGood: null, count: 0, error: answer.error };
  const good = answer.ok.filter((m) => m.status === 'ok').sort((x, y) => y.startedAt.localeCompare(x.startedAt))[0];
  return { lastGood: good ? { id: good.id, startedAt: good.startedAt, size: good.size ?? null } : null, count: answer.ok.length, error: null };
}

function pitrSummary(a: AddonConfig, probe: ProbeAnswer | undefined, catalog: CatalogFigures | undefined): PitrSummary | null {
  if (!a.backups.pitr) return null;
  // A cluster's: read on its primary (pgbackrest info in its container, its archiver: a replica archives nothing).
  const info = probe?.pitrInfo.get(a.name);
  const archiver = catalog?.archiver ?? null;
  const base = { lastArchivedAt: archiver?.lastArchivedAt ?? null, failedCount: archiver?.failedCount ?? null };
  if (!info && isHighlyAvailable(a)) return { window: null, status: 'not read (its primary is not running, or its storage is a local directory: no PITR of a cluster is taken there)', ...base, error: null };
  if (!info) return { window: null, status: 'not read (the add-on is not running)', ...base, error: null };
  if (!info.ok) return { window: null, status: 'unknown', ...base, error: `pgbackrest info failed: ${info.text.trim().split('\n').slice(-2).join(' ')}` };
  try {
    const p = pitrStatus(info.text, a.name, archiver);
    return { window: p.window, status: p.status, ...base, error: null };
  } catch (e) {
    return { window: null, status: 'unknown', ...base, error: `pgbackrest info answered what is not JSON: ${(e as Error).message}` };
  }
}

/** One member per host the add-on runs on, with the errors met reading it. */
function members(a: AddonConfig, r: Readings, errors: string[]): Array<{ m: MemberStatus; probe?: ProbeAnswer; catalog?: CatalogFigures }> {
  return memberHosts(a).map((host) => {
    const probeAnswer = r.probes.get(host);
    const probe = probeAnswer && 'ok' in probeAnswer ? probeAnswer.ok : undefined;
    if (probeAnswer && 'error' in probeAnswer) errors.push(`host ${host}: ${probeAnswer.error}`);
    const catalogAnswer = r.catalogs.get(catalogKey(a, host));
    const catalog = catalogAnswer && 'ok' in catalogAnswer ? catalogAnswer.ok : undefined;
    if (catalogAnswer && 'error' in catalogAnswer) errors.push(isHighlyAvailable(a) ? `catalog on ${host}: ${catalogAnswer.error}` : `catalog: ${catalogAnswer.error}`);
    return { m: member(a, host, probe, catalog), probe, catalog };
  });
}

/** A highly available add-on runs while one of its members does. */
function addonState(states: AddonState[]): AddonState {
  return states.includes('running') ? 'running' : states[0]!;
}

export function addonStatus(a: AddonConfig, r: Readings): AddonStatus {
  const errors: string[] = [];
  const read = members(a, r, errors);
  const primary = read.find((x) => x.catalog && !x.catalog.inRecovery) ?? read[0]!;
  return {
    addon: a.name,
    plan: a.plan,
    host: a.host,
    version: a.version,
    serverVersion: primary.catalog?.serverVersion ?? read.find((x) => x.catalog)?.catalog?.serverVersion ?? null,
    state: addonState(read.map((x) => x.m.state)),
    members: read.map((x) => x.m),
    backups: backupSummary(a, r.backups.get(a.name)),
    pitr: pitrSummary(a, primary.probe, primary.catalog),
    drift: r.drift ? (r.drift.get(a.name) ?? { changes: 0, reasons: [], error: null }) : null,
    errors,
  };
}

export function fleetStatus(addons: readonly AddonConfig[], r: Readings): FleetStatus {
  const hostErrors: Record<string, string> = {};
  for (const [host, answer] of [...r.probes].sort(([x], [y]) => x.localeCompare(y))) if ('error' in answer) hostErrors[host] = answer.error;
  return { formatVersion: 1, at: r.at.toISOString(), addons: addons.map((a) => addonStatus(a, r)), hostErrors };
}
