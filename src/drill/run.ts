import type { Config } from '../config/types.js';
import { lookupPlan } from '../config/tiers.js';
import { addonImage } from '../config/image.js';
import type { Host } from '../hosts/host.js';
import { acquireDrillLock, currentHolder } from '../hosts/lock.js';
import { backupsEnabled } from '../resources/backups/settings.js';
import { listBackups, storeFor } from '../resources/backups/service.js';
import type { BackupStore } from '../resources/backups/store.js';
import { readPitrStatus } from '../resources/pitr/status.js';
import { UserError } from '../util/errors.js';
import { type CheckResult, drillLogical } from './logical.js';
import { drillPitr } from './pitr.js';
import { type DrillCheck, type DrillRecord, drillId, drillKey, drillPrefix, drillRecordsToPrune, renderDrillRecord } from './record.js';
import { type Scratch, type TableCount, makeScratchDir, removeScratch, scratchDir } from './scratch.js';

// `dbform backups drill ADDON` as data: on the add-on's host, the latest logical backup and (with PITR on)
// the latest point in time are each restored into a scratch instance, checked and timed; the scratch
// instances are removed whatever happens, and the outcome is recorded in the add-on's storage. The add-on
// itself is never touched, so no apply lock is taken; the add-on's own drill lock keeps two drills apart.

export interface DrillResult {
  record: DrillRecord;
  /** Where the record was stored, or why it could not be. */
  stored: { key: string; where: string } | { error: string };
  /** Rows of every table read, per check (in the order of record.checks). */
  counts: TableCount[][];
}

export interface DrillRequest {
  config: Config;
  hosts: Map<string, Host>;
  masterKey: string;
  addon: string;
  progress(message: string): void;
}

function failed(kind: DrillCheck['kind'], source: string, t0: number, e: unknown): CheckResult {
  const check = { kind, source, ok: false, seconds: (Date.now() - t0) / 1000, tables: 0, rows: 0, databases: [], error: (e as Error).message };
  return { check, counts: [] };
}

/** One check, its scratch instance removed after it whatever happened (the next one starts clean). */
async function checked(s: Scratch, kind: DrillCheck['kind'], source: string, work: () => Promise<CheckResult>): Promise<CheckResult> {
  const t0 = Date.now();
  try {
    await makeScratchDir(s);
    return await work();
  } catch (e) {
    return failed(kind, source, t0, e);
  } finally {
    await removeScratch(s);
  }
}

async function logicalCheck(req: DrillRequest, s: Scratch, store: BackupStore): Promise<CheckResult> {
  const newest = (await listBackups(store, req.addon)).find((m) => m.status === 'ok');
  if (!newest) return failed('logical', 'no backup', Date.now(), new Error(`add-on ${req.addon} has no successful logical backup in ${store.description}`));
  // The dump is of the add-on's database, which is named after the add-on.
  return checked(s, 'logical', `backup ${newest.id}`, () => drillLogical(s, store, req.masterKey, newest, req.addon, req.progress));
}

async function pitrCheck(req: DrillRequest, s: Scratch): Promise<CheckResult> {
  return checked(s, 'pitr', 'latest point', async () => drillPitr(req.config, s, await readPitrStatus(req.config, s.host, req.addon), req.progress));
}

async function store(req: DrillRequest, backups: BackupStore, record: DrillRecord): Promise<DrillResult['stored']> {
  const key = drillKey(record);
  try {
    await backups.put(key, Buffer.from(renderDrillRecord(record)));
    const old = drillRecordsToPrune(await backups.listKeys(drillPrefix(record.addon)));
    await backups.remove(old);
    return { key, where: backups.description };
  } catch (e) {
    return { error: `the drill's record could not be stored in ${backups.description}: ${(e as Error).message}` };
  }
}

export async function drillAddon(req: DrillRequest): Promise<DrillResult> {
  const declared = req.config.addons.find((a) => a.name === req.addon);
  if (!declared) throw new UserError(`no add-on named ${req.addon} in ${req.config.file}`);
  const logical = backupsEnabled(declared);
  if (!logical && !declared.backups.pitr) throw new UserError(`add-on ${req.addon} has no backups to drill (its plan takes none, and backups.pitr is off)`);
  const host = req.hosts.get(declared.host);
  if (!host) throw new UserError(`host ${declared.host} of ${req.addon} cannot be reached`);
  const hostCfg = req.config.hosts.find((h) => h.name === host.name)!;
  const s: Scratch = {
    host,
    addon: req.addon,
    image: addonImage(req.config, declared),
    memoryMb: lookupPlan(declared.plan)?.memoryMb ?? 256,
    dir: scratchDir(hostCfg.dataDir, req.addon),
  };
  const backups = await storeFor(req.config, req.hosts, req.addon);
  const lock = await acquireDrillLock(host, req.addon, currentHolder());
  const startedAt = new Date();
  const results: CheckResult[] = [];
  try {
    await removeScratch(s); // what a drill that was killed left
    if (logical) results.push(await logicalCheck(req, s, backups));
    if (declared.backups.pitr) results.push(await pitrCheck(req, s));
  } finally {
    await removeScratch(s).catch(() => undefined);
    await lock.release().catch(() => undefined);
  }
  const checks = results.map((r) => r.check);
  const record: DrillRecord = {
    id: drillId(startedAt),
    addon: req.addon,
    host: host.name,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    ok: checks.every((c) => c.ok),
    checks,
  };
  return { record, stored: await store(req, backups, record), counts: results.map((r) => r.counts) };
}
