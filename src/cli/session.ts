import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import type { Host } from '../hosts/host.js';
import { openHost } from '../hosts/open.js';
import { deriveKey } from '../keystore/cipher.js';
import { HostKeystore } from '../keystore/keystore.js';
import { resolveMasterKey } from '../keystore/master-key.js';
import { fleetCa, type FleetCa } from '../resources/tls/ca.js';
import { backupRecipient } from '../resources/backups/keys.js';
import { desiredFleet, type DesiredFleet } from '../gather/gather.js';

// Everything a command needs to talk to the fleet: the validated config, one open Host per reachable
// host, and each host's keystore. A host that cannot be reached is recorded in hostErrors, not thrown:
// the others are still planned and applied (the run then exits 1 naming it).

export interface Session {
  config: Config;
  hosts: Map<string, Host>;
  keystores: Map<string, HostKeystore>;
  /** host name -> why it is left out of this run */
  hostErrors: Map<string, string>;
  /** The fleet's certificate authority, derived from the master key. */
  ca: FleetCa;
  /** Derives keys (backups) from DBFORM_MASTER_KEY; the key itself never leaves this process. */
  masterKey: string;
  /** Every kind's declared resources, built from the config before any host is contacted. */
  desired: DesiredFleet;
  close(): Promise<void>;
}

/**
 * `text`: the config's content when it does not come from the file on disk (e.g. a pull request's base).
 * `purpose`: 'plan' builds the desired state first, so that its errors (a missing passwordEnv) come before any
 * host is contacted; 'read' (output, backups) builds it only if it is used, and needs no credential it does not use.
 */
export async function openSession(file: string, warn: (msg: string) => void, text?: string, purpose: 'plan' | 'read' = 'plan'): Promise<Session> {
  return openConfigSession(loadConfig(file, text), warn, purpose);
}

/** For a config already loaded (and checked) by the caller: it is read once per run. */
export async function openConfigSession(config: Config, warn: (msg: string) => void, purpose: 'plan' | 'read' = 'plan'): Promise<Session> {
  const allLocal = config.hosts.every((h) => h.transport === 'local');
  const masterKey = resolveMasterKey({ allowCreate: allLocal, warn });
  const key = deriveKey(masterKey);
  const ca = await fleetCa(masterKey);
  let desired: DesiredFleet | undefined;
  const buildDesired = () =>
    (desired ??= desiredFleet(config, { caPublicKeyPem: ca.publicKeyPem, now: new Date(), backupRecipient: (addon) => backupRecipient(masterKey, addon) }));
  if (purpose === 'plan') buildDesired();
  const hosts = new Map<string, Host>();
  const keystores = new Map<string, HostKeystore>();
  const hostErrors = new Map<string, string>();
  await Promise.all(
    config.hosts.map(async (h) => {
      try {
        const host = await openHost(h);
        hosts.set(h.name, host);
        keystores.set(h.name, new HostKeystore(host, `${h.dataDir}/.keystore`, key));
      } catch (err) {
        hostErrors.set(h.name, hostReason(h.name, (err as Error).message));
      }
    }),
  );
  const close = async () => {
    await Promise.all([...hosts.values()].map((h) => h.close().catch(() => undefined)));
  };
  return {
    config,
    hosts,
    keystores,
    hostErrors,
    ca,
    masterKey,
    get desired() {
      return buildDesired();
    },
    close,
  };
}

/** One line per host left out of the run, on stderr: `plan` and `drift` end with these and exit 1. */
export function reportHostErrors(session: Pick<Session, 'hostErrors'>, print: (line: string) => void): void {
  for (const [host, reason] of session.hostErrors) print(`Error: host ${host}: ${reason}`);
}

/** Takes a host out of the run after a failure, keeping the reason for the summary. */
export function dropHost(session: Session, host: string, reason: string): void {
  session.hostErrors.set(host, hostReason(host, reason));
  session.hosts.get(host)?.close().catch(() => undefined);
  session.hosts.delete(host);
  session.keystores.delete(host);
}

/** Reasons are kept without the "host NAME" prefix that messages from deeper down may carry. */
function hostReason(host: string, message: string): string {
  return message.replace(new RegExp(`^host ${host}(: |, )`), '');
}
