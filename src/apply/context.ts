import type pg from 'pg';
import type { Host } from '../hosts/host.js';
import type { HostKeystore } from '../keystore/keystore.js';
import type { SecretRef, Step } from '../plan/types.js';
import type { FleetCa } from '../resources/tls/ca.js';

// What an executor may use while applying the steps of one host, besides its own step: the host, its
// keystore, the fleet CA, secrets resolved by name, and SQL sessions to the add-ons the plan places there.
export interface ApplyContext {
  host: Host;
  keystore: HostKeystore;
  ca: FleetCa;
  /** Resolves a secret reference (env or keystore, generating it when asked). */
  secret(ref: SecretRef): Promise<string>;
  /** A superuser connection to an add-on's database, opened once and reused for the run. */
  pg(addon: string, database: string): Promise<pg.Client>;
  /** Drops cached connections of an add-on (its instance was restarted). */
  forget(addon: string): Promise<void>;
  progress(message: string): void;
  /** Set while the steps run inside a transaction the engine opened: SQL steps must not open their own. */
  inTransaction?: boolean;
}

export type Executor = (step: Step, ctx: ApplyContext) => Promise<void>;

/** Reads a typed field of a step, failing loudly if a plan file was tampered with. */
export function field<T>(step: Step, name: string, type: 'string' | 'number' | 'boolean' | 'object'): T {
  const value = step[name];
  if (typeof value !== type || value === null) throw new Error(`plan step ${step.type}: field ${name} is missing or not a ${type}`);
  return value as T;
}
