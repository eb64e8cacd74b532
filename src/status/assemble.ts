import type { AddonConfig } from '../config/types.js';
import type { BackupManifest } from '../resources/backups/manifest.js';
import { backupsEnabled } from '../resources/backups/settings.js';
import { containerName } from '../resources/desired.js';
import { pitrStatus } from '../resources/pitr/info.js';
import type { CatalogFigures } from './catalog.js';
import { cpuPercent, type CpuReading, memoryFigures } from './cgroup.js';
import type { AddonState, AddonStatus, BackupSummary, DiskGuardStatus, DriftSummary, FleetStatus, GatewayStatus, MemberStatus, PitrSummary } from './model.js';
import type { ProbeAnswer } from './probe.js';
import { catalogKey, gatewayProbeKey, isHighlyAvailable, memberHosts, readReplicaHosts, replicaCatalogKey, replicaProbeKey } from './members.js';
import { gatewayContainerName } from '../resources/ha/desired.js';
import { replicaContainerName } from '../resources/replica/model.js';

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

function stateOf(probe: ProbeAnswer | undefined, key: string): AddonState {
  if (!probe) return 'unknown';
  const c = probe.containers.get(key);
  if (!c) return 'absent';
  return c.running ? 'running' : 'stopped';
}

const cpuSeconds = (r: CpuReading | undefined) => (r ? Number(r.usageNs) / 1e9 : null);

/** What the probe read of one container (by its key in the answer: members.ts): state, CPU and memory. */
function containerFigures(probe: ProbeAnswer | undefined, key: string) {
  const c = probe?.containers.get(key);
  const files = probe?.memory.get(key);
  const mem = files && probe ? memoryFigures(files, probe.cgroupVersion) : null;
  const running = c?.running === true;
  return {
    running,
    state: stateOf(probe, key),
    startedAt: running && c ? new Date(c.startedAt).toISOString() : null,
    cpuPercent: running && probe ? cpuPercent(probe.cpu[0].get(key), probe.cpu[1].get(key)) : null,
    cpuSecondsTotal: running ? cpuSeconds(probe?.cpu[1].get(key) ?? probe?.cpu[0].get(key)) : null,
    mem,
    // The limit docker enforces (HostConfig.Memory), which is also the cgroup's.
    limit: mem?.limit ?? (c && c.memory > 0 ? c.memory : null),
  };
}

/** Which container a member row is about: the add-on's own instance or member, or a read replica. */
interface MemberTarget {
  host: string;
  key: string;
  name: string;
  readReplica: boolean;
}

function member(a: AddonConfig, t: MemberTarget, probe: ProbeAnswer | undefined, catalog: CatalogFigures | undefined): MemberStatus {
  const f = containerFigures(probe, t.key);
  const { running, mem } = f;
  const fs = probe?.filesystem.get(t.key);
  return {
    name: t.name,
    host: t.host,
    role: catalog?.inRecovery || t.readReplica ? 'replica' : 'primary',
    state: f.state,
    startedAt: f.startedAt,
    cpuPercent: f.cpuPercent,
    cpuSecondsTotal: f.cpuSecondsTotal,
    memory: {
      current: running ? (mem?.current ?? null) : null,
      peak: running ? (mem?.peak ?? null) : null,
      limit: f.limit,
      free: running ? (mem?.free ?? null) : null,
    },
    swap: { current: running ? (mem?.swapCurrent ?? null) : null, limit: mem?.swapLimit ?? null },
    connections: { open: catalog?.connections ?? null, max: catalog?.maxConnections ?? null },
    dataSize: catalog?.dataSize ?? null,
    diskSize: probe?.diskUsage.get(t.key) ?? null,
    // A read replica has no quota of its own (nor a disk guard: nothing but replay writes there).
    disk: { quota: t.readReplica ? null : a.diskMb * 1024 * 1024, filesystemSize: fs?.size ?? null, filesystemFree: fs?.free ?? null },
    diskGuard: guardStatus(probe?.guard.get(t.key)),
    replicationLagSeconds: catalog?.inRecovery ? catalog.lagSeconds : null,
    replicationLagBytes: catalog?.inRecovery ? catalog.lagBytes : null,
    readReplica: t.readReplica,
  };
}

function gateway(a: AddonConfig, host: string, probe: ProbeAnswer | undefined): GatewayStatus {
  const f = containerFigures(probe, gatewayProbeKey(a.name));
  return {
    name: gatewayContainerName(a.name),
    host,
    state: f.state,
    startedAt: f.startedAt,
    cpuPercent: f.cpuPercent,
    cpuSecondsTotal: f.cpuSecondsTotal,
    memory: { current: f.running ? (f.mem?.current ?? null) : null, peak: f.running ? (f.mem?.peak ?? null) : null, limit: f.limit },
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

const okOf = <T>(answer: Answer<T> | undefined): T | undefined => (answer && 'ok' in answer ? answer.ok : undefined);

/** One member per host the add-on runs on, with the errors met reading it. */
function members(a: AddonConfig, r: Readings, errors: string[]): Array<{ m: MemberStatus; probe?: ProbeAnswer; catalog?: CatalogFigures }> {
  return memberHosts(a).map((host) => {
    const probeAnswer = r.probes.get(host);
    const probe = okOf(probeAnswer);
    if (probeAnswer && 'error' in probeAnswer) errors.push(`host ${host}: ${probeAnswer.error}`);
    const catalogAnswer = r.catalogs.get(catalogKey(a, host));
    const catalog = okOf(catalogAnswer);
    if (catalogAnswer && 'error' in catalogAnswer) errors.push(isHighlyAvailable(a) ? `catalog on ${host}: ${catalogAnswer.error}` : `catalog: ${catalogAnswer.error}`);
    return { m: member(a, { host, key: a.name, name: containerName(a.name), readReplica: false }, probe, catalog), probe, catalog };
  });
}

/** One row per read replica, read on its own host. */
function readReplicas(a: AddonConfig, r: Readings, errors: string[]): MemberStatus[] {
  return readReplicaHosts(a).map((host) => {
    const probeAnswer = r.probes.get(host);
    if (probeAnswer && 'error' in probeAnswer) errors.push(`host ${host}: ${probeAnswer.error}`);
    const catalogAnswer = r.catalogs.get(replicaCatalogKey(a, host));
    if (catalogAnswer && 'error' in catalogAnswer) errors.push(`read replica on ${host}: ${catalogAnswer.error}`);
    const target = { host, key: replicaProbeKey(a.name), name: replicaContainerName(a.name), readReplica: true };
    return member(a, target, okOf(probeAnswer), okOf(catalogAnswer));
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
    members: [...read.map((x) => x.m), ...readReplicas(a, r, errors)],
    gateways: isHighlyAvailable(a) ? a.hosts.map((h) => gateway(a, h, okOf(r.probes.get(h)))) : [],
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
