import type pg from 'pg';
import type { Host } from '../hosts/host.js';
import type { HostKeystore } from '../keystore/keystore.js';
import type { Change, Plan, SecretRef } from '../plan/types.js';
import { superuserKey } from '../resources/desired.js';
import type { FleetCa } from '../resources/tls/ca.js';
import { runSteps } from './converge.js';
import { SHARED_TRANSACTION_KINDS } from '../resources/registry.js';
import { UserError } from '../util/errors.js';
import type { ApplyContext } from './context.js';

// Runs the plan's steps and nothing else. Hosts are applied in parallel, and so are the add-ons of a
// host; the changes of one add-on run in plan order. A failed change skips the rest of its add-on (they
// depend on it) but not other add-ons or hosts, so one broken instance never blocks the fleet, and a
// rerun converges.

export interface ApplyHooks {
  start(change: Change): void;
  done(change: Change, ms: number): void;
  failed(change: Change, err: Error): void;
  skipped(change: Change, because: string): void;
  progress(host: string, message: string): void;
}

export interface HostResult {
  host: string;
  applied: number;
  failed: number;
  skipped: number;
  errors: string[];
}

export interface ApplyInput {
  plan: Plan;
  hosts: Map<string, Host>;
  keystores: Map<string, HostKeystore>;
  ca: FleetCa;
  hooks: ApplyHooks;
}

export function makeContext(input: ApplyInput, hostName: string): { ctx: ApplyContext; close(): Promise<void> } {
  const host = input.hosts.get(hostName)!;
  const keystore = input.keystores.get(hostName)!;
  const clients = new Map<string, pg.Client>();
  const key = (addon: string, db: string) => `${addon}\u0000${db}`;
  const ctx: ApplyContext = {
    host,
    keystore,
    ca: input.ca,
    progress: (m) => input.hooks.progress(hostName, m),
    async secret(ref: SecretRef) {
      if (ref.source === 'env') {
        const v = process.env[ref.name];
        if (!v) throw new UserError(`environment variable ${ref.name} is not set`);
        return v;
      }
      if (ref.generate) return keystore.getOrCreatePassword(ref.key);
      const v = await keystore.get(ref.key);
      if (v === undefined) throw new UserError(`keystore entry ${ref.key} is missing on host ${hostName}`);
      return v;
    },
    async pg(addon, database) {
      const existing = clients.get(key(addon, database));
      if (existing) return existing;
      const endpoint = input.plan.instances[addon];
      if (!endpoint || endpoint.host !== hostName) throw new Error(`the plan places no instance of ${addon} on host ${hostName}`);
      const password = await keystore.get(superuserKey(addon));
      if (password === undefined) throw new UserError(`host ${hostName}, add-on ${addon}: no superuser password in the keystore`);
      const client = await host.connectPg({ port: endpoint.port, user: 'postgres', password, database });
      client.on('error', () => undefined); // a restarted instance drops connections; forget() replaces them
      clients.set(key(addon, database), client);
      return client;
    },
    async forget(addon) {
      for (const [k, c] of clients) {
        if (k.startsWith(`${addon}\u0000`)) {
          clients.delete(k);
          await c.end().catch(() => undefined);
        }
      }
    },
  };
  return { ctx, close: async () => Promise.all([...clients.values()].map((c) => c.end().catch(() => undefined))).then(() => undefined) };
}

/** Add-ons of one host are applied concurrently, up to this many at a time (initdb and starts are CPU-bound). */
const ADDONS_IN_PARALLEL = 4;

async function applyHost(input: ApplyInput, hostName: string, changes: Change[]): Promise<HostResult> {
  const result: HostResult = { host: hostName, applied: 0, failed: 0, skipped: 0, errors: [] };
  const { ctx, close } = makeContext(input, hostName);
  const byAddon = new Map<string, Change[]>();
  for (const c of changes) byAddon.set(c.addon, [...(byAddon.get(c.addon) ?? []), c]);
  const queue = [...byAddon.values()];
  // Changes of one add-on run in plan order; a failure skips the rest of that add-on only.
  const applyAddon = async (addonChanges: Change[]) => {
    let broken = false;
    for (const unit of transactionUnits(addonChanges)) {
      if (broken) {
        for (const change of unit) {
          result.skipped++;
          input.hooks.skipped(change, `an earlier change of ${change.addon} failed`);
        }
        continue;
      }
      const t0 = Date.now();
      try {
        await applyUnit(unit, ctx, input.hooks);
        result.applied += unit.length;
        for (const change of unit) input.hooks.done(change, Date.now() - t0);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        result.failed += unit.length;
        result.errors.push(`${unit.map((c) => c.address).join(', ')}: ${e.message}`);
        broken = true;
        for (const change of unit) input.hooks.failed(change, e);
      }
    }
  };
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await applyAddon(next);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(ADDONS_IN_PARALLEL, queue.length) }, worker));
  } finally {
    await close();
  }
  return result;
}

/**
 * Consecutive changes of kinds that share a transaction (grants: one transaction per database, so
 * concurrent GRANTs can never meet) form one unit; every other change is a unit of its own.
 */
export function transactionUnits(changes: Change[]): Change[][] {
  const units: Change[][] = [];
  for (const change of changes) {
    const last = units.at(-1);
    if (last && SHARED_TRANSACTION_KINDS.has(change.kind) && last[0]!.kind === change.kind) last.push(change);
    else units.push([change]);
  }
  return units;
}

async function applyUnit(unit: Change[], ctx: ApplyContext, hooks: ApplyHooks): Promise<void> {
  const first = unit[0]!;
  if (!SHARED_TRANSACTION_KINDS.has(first.kind)) {
    hooks.start(first);
    await runSteps(first.steps, ctx);
    return;
  }
  const database = first.steps[0]?.database;
  if (typeof database !== 'string') throw new Error(`plan step of ${first.address}: no database for its transaction`);
  const client = await ctx.pg(first.addon, database);
  await client.query('BEGIN');
  try {
    for (const change of unit) {
      hooks.start(change);
      await runSteps(change.steps, { ...ctx, inTransaction: true });
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export async function applyPlan(input: ApplyInput): Promise<HostResult[]> {
  const byHost = new Map<string, Change[]>();
  for (const c of input.plan.changes) byHost.set(c.host, [...(byHost.get(c.host) ?? []), c]);
  const hosts = [...byHost.keys()].sort();
  return Promise.all(hosts.map((h) => applyHost(input, h, byHost.get(h)!)));
}
