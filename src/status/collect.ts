import type { AddonConfig } from '../config/types.js';
import type { BackupManifest } from '../resources/backups/manifest.js';
import { listBackups, storeFor } from '../resources/backups/service.js';
import { backupsEnabled } from '../resources/backups/settings.js';
import { computePlan } from '../cli/compute-plan.js';
import { batchedReadsOf } from '../gather/batched-reads.js';
import type { Session } from '../cli/session.js';
import type { Plan } from '../plan/types.js';
import { type Answer, fleetStatus, type Readings } from './assemble.js';
import { addonsOf, withMemberSuperuser, withReplicaSuperuser, withSuperuser } from './addons.js';
import { catalogKey, isHighlyAvailable, memberHosts, readReplicaHosts, replicaCatalogKey, replicaProbeKey, statusHosts } from './members.js';
import { replicaDataDir } from '../resources/replica/model.js';
import { clusterPitrTaken } from '../resources/pitr/cluster.js';
import { readCatalogFigures } from './catalog.js';
import { CatalogFiguresViaGather } from './catalog-via-gather.js';
import type { DriftSummary, FleetStatus } from './model.js';
import { parseProbe, probeCommand, type ProbedAddon, type ProbeAnswer } from './probe.js';

// Takes one sample of the fleet's status: per host, in parallel, the probe (in one SSH round trip, with the
// drift check's first reads) and one catalog query per add-on over the same SSH connection; the
// backup listings from their storage; and, when asked, the drift (the same read-only gather and diff as `dbform drift`). Never takes a
// host lock, never writes to a host.

export interface CollectOptions {
  /** Only this add-on (and only its host is probed). */
  addon?: string;
  /** Also check drift (a full gather: several round trips per host, so the dashboard does it less often). */
  drift: boolean;
  /** The CPU sampling window on the host. */
  sampleSeconds?: number;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function settle<T>(p: Promise<T>): Promise<Answer<T>> {
  try {
    return { ok: await p };
  } catch (e) {
    return { error: message(e) };
  }
}

/** What the probe reads on `host` beyond the containers: the data directories of the add-ons' instances or
 *  members there and of the read replicas there (no PITR, no disk guard on a replica). */
function probedOn(session: Session, host: string, addons: readonly AddonConfig[]): ProbedAddon[] {
  const hostCfg = session.config.hosts.find((h) => h.name === host)!;
  // A highly available add-on's PITR is taken into an S3 storage only (pitr/cluster.ts): nothing to read otherwise.
  const pitrOf = (a: AddonConfig) => a.backups.pitr && (!isHighlyAvailable(a) || clusterPitrTaken(session.config, a));
  const own = addons.filter((a) => memberHosts(a).includes(host)).map((a) => ({ name: a.name, dataDir: `${hostCfg.dataDir}/${a.name}`, pitr: pitrOf(a) }));
  const replicas = addons.filter((a) => readReplicaHosts(a).includes(host)).map((a) => ({ name: replicaProbeKey(a.name), dataDir: replicaDataDir(hostCfg.dataDir, a.name), pitr: false, guard: false }));
  return [...own, ...replicas];
}

async function probeHost(session: Session, host: string, probed: ProbedAddon[], sampleSeconds: number): Promise<ProbeAnswer> {
  const live = session.hosts.get(host);
  if (!live) throw new Error(session.hostErrors.get(host) ?? 'not connected');
  // Through the host's batcher: the probe shares one exec with the keystore read and, with drift asked, the
  // gather's first reads, behind them, so that they are not held up by its sampling window (probe.ts).
  const r = await batchedReadsOf(live).execLast(probeCommand(probed, sampleSeconds));
  if (r.code === 3) throw new Error(`the Docker engine does not answer (${r.stderr.trim().split('\n').slice(-1)[0] ?? ''})`);
  if (r.code !== 0) throw new Error(`the status probe failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
  return parseProbe(r.stdout, probed);
}

/** The drift check's plan itself (the dashboard shows it), or why it could not be computed. */
export interface PlanCheck {
  checkedAt: string;
  plan: Plan | null;
  error: string | null;
}

async function readDrift(session: Session, addons: AddonConfig[], rider: CatalogFiguresViaGather): Promise<{ summaries: Map<string, DriftSummary>; check: PlanCheck }> {
  const out = new Map<string, DriftSummary>();
  const checkedAt = new Date().toISOString();
  try {
    const { plan } = await computePlan(session, rider).finally(() => rider.doneWithAll());
    const notRead = new Map(plan.hostsNotRead.map((h) => [h.host, h.reason]));
    for (const a of addons) {
      const why = notRead.get(a.host);
      const changes = plan.changes.filter((c) => c.addon === a.name);
      out.set(a.name, why ? { changes: null, reasons: [], error: `host ${a.host} was not read: ${why}` } : { changes: changes.length, reasons: changes.map((c) => `${c.address}: ${c.reason}`), error: null });
    }
    return { summaries: out, check: { checkedAt, plan, error: null } };
  } catch (e) {
    for (const a of addons) out.set(a.name, { changes: null, reasons: [], error: message(e) });
    return { summaries: out, check: { checkedAt, plan: null, error: message(e) } };
  }
}

export async function collectStatus(session: Session, opts: CollectOptions): Promise<FleetStatus> {
  return (await collectSample(session, opts)).status;
}

/** One sample and, when drift was checked, the plan it computed (null otherwise). */
export async function collectSample(session: Session, opts: CollectOptions): Promise<{ status: FleetStatus; plan: PlanCheck | null }> {
  const addons = addonsOf(session, opts.addon);
  const hosts = [...new Set(addons.flatMap(statusHosts))].sort();
  const at = new Date();
  const ownCatalog = (a: AddonConfig) => withSuperuser(session, a, readCatalogFigures);
  // With drift, a single instance's figures are read on the connection the gather opens to it. Gather reaches a
  // highly available add-on through its gateway (the primary): each member is read on its own connection.
  const single = addons.filter((a) => !isHighlyAvailable(a));
  const viaGather = opts.drift ? new CatalogFiguresViaGather(single, ownCatalog) : null;
  const memberCatalogs = [
    ...addons.filter(isHighlyAvailable).flatMap((a) => a.hosts.map((h) => [catalogKey(a, h), () => withMemberSuperuser(session, a, h, readCatalogFigures)] as const)),
    ...addons.flatMap((a) => readReplicaHosts(a).map((h) => [replicaCatalogKey(a, h), () => withReplicaSuperuser(session, a, h, readCatalogFigures)] as const)),
  ];
  const [probes, catalogs, backups, drift] = await Promise.all([
    Promise.all(hosts.map(async (h) => [h, await settle(probeHost(session, h, probedOn(session, h, addons), opts.sampleSeconds ?? 0.2))] as const)),
    Promise.all([
      ...single.map(async (a) => [a.name, await settle(viaGather ? viaGather.figures(a.name) : ownCatalog(a))] as const),
      ...memberCatalogs.map(async ([key, read]) => [key, await settle(read())] as const),
    ]),
    Promise.all(
      addons.filter(backupsEnabled).map(async (a) => [a.name, await settle<BackupManifest[]>(storeFor(session.config, session.hosts, a.name).then((s) => listBackups(s, a.name)))] as const),
    ),
    viaGather ? readDrift(session, addons, viaGather) : Promise.resolve(null),
  ]);
  const readings: Readings = { at, probes: new Map(probes), catalogs: new Map(catalogs), backups: new Map(backups), drift: drift?.summaries ?? null };
  // A catalog cannot be read from an instance that is not running: that is its state, not an error.
  const notRunning = (h: string, key: string) => {
    const p = readings.probes.get(h);
    return p !== undefined && 'ok' in p && !p.ok.containers.get(key)?.running;
  };
  for (const a of addons) {
    for (const h of memberHosts(a)) if (notRunning(h, a.name)) readings.catalogs.delete(catalogKey(a, h));
    for (const h of readReplicaHosts(a)) if (notRunning(h, replicaProbeKey(a.name))) readings.catalogs.delete(replicaCatalogKey(a, h));
  }
  return { status: fleetStatus(addons, readings), plan: drift?.check ?? null };
}
