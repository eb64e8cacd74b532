import type { BackupRecord } from './backups/retention.js';
import type { HostConfig } from '../config/types.js';
import type { DesiredAddon, ObservedCatalog, ObservedContainer } from './model.js';
import type { EtcdMember, ObservedHaContainer, PatroniMemberState } from './ha/model.js';
import type { VolumeLocation, VolumeProbe } from './volume/probe.js';
import type { ObservedReplica } from './replica/model.js';

// What a kind's gather may read on a host. Every read is read-only and batched or cached per run, so
// that kinds can ask for what they need one by one and a host still answers in a few round trips:
// one `docker inspect`, one `sha256sum` of every file asked in the same tick, one keystore read (the
// three sent together in one command: gather/batched-reads.ts), and one catalog query per running instance.

export interface InstanceState {
  /** running: its catalog was read. stopped: an initialized instance that is not running, whose inside is
   *  unknown until it runs. absent: nothing was created yet. */
  state: 'running' | 'stopped' | 'absent';
  catalog: ObservedCatalog | null;
  /** When WAL archiving started failing (pg_stat_archiver's last failure is newer than its last success),
   *  else null. A verdict, not the archiver's counters: those move every minute, and the plan's fingerprint
   *  of the live state must not. Absent: not read (recordings made before it was). */
  archivingFailingSince?: string | null;
}

export interface HostReader {
  readonly host: HostConfig;
  /** Containers dbform manages on the host (label dbform.managed), by add-on. */
  containers(): Promise<Map<string, ObservedContainer>>;
  /** SHA-256 of a file on the host, null when it does not exist. */
  fileHash(path: string): Promise<string | null>;
  /** Whether a regular file exists and is not empty. */
  fileExists(path: string): Promise<boolean>;
  /** The add-on's instance and its catalog (roles and database of `desired`), read once per run. */
  instance(desired: DesiredAddon): Promise<InstanceState>;
  /** A keystore entry. A secret: kinds compare with it and never put it in what they return. */
  secret(key: string): Promise<string | undefined>;
  /** The PEM certificates in a file on the host (only its CERTIFICATE blocks cross the connection, so a key
   *  file read by mistake sends nothing), null when there is none. Optional: recordings made before the
   *  certificates of high availability were checked have none. */
  certificate?(path: string): Promise<string | null>;
  /** Values of the named keys of a KEY=VALUE file on the host (null: no such file). Only those lines are
   *  read, on the host: a settings file can hold credentials that must not travel. */
  fileValues(path: string, keys: readonly string[]): Promise<Record<string, string> | null>;
  /** Containers of high availability on the host (label dbform.ha: etcd, Patroni members, gateways), by
   *  name. Optional: recordings made before high availability have none. */
  haContainers?(): Promise<Map<string, ObservedHaContainer>>;
  /** A Patroni member as its cluster sees it (its REST API, asked from inside its container); null when the
   *  API does not answer. */
  patroniMember?(container: string, apiPort: number, member: string): Promise<PatroniMemberState | null>;
  /** The consensus store's addresses (etcd3 hosts) a patroni.yml on the host names, only those lines read;
   *  null when there is no such file. Optional: recordings have none. */
  consensusHosts?(path: string): Promise<string[] | null>;
  /** The consensus store's members as the etcd member in `container` reports them (asked from inside it, with
   *  its own certificate); null when it does not answer. Optional: recordings have none. */
  etcdMembers?(container: string): Promise<EtcdMember[] | null>;
  /** dbform's permanent slots in a cluster's dynamic configuration (GET /config of the first of `apis` that
   *  answers, asked from inside the member's container); null when none answers. */
  patroniSlots?(container: string, apis: string[]): Promise<string[] | null>;
  /** Read replicas on the host (label dbform.replica-of), by the add-on they copy, with their own view of
   *  their replication. Optional: recordings made before read replicas have none. */
  replicas?(): Promise<Map<string, ObservedReplica>>;
  /** Add-ons that have a volume file under the host's dataDir (`.volumes/ADDON.luks`), declared or not.
   *  Optional: recordings made before encryption at rest have none. */
  volumeFiles?(): Promise<string[]>;
  /** A LUKS volume: whether the host can run one, its header, whether it is open and mounted (no key read). */
  volume(where: VolumeLocation): Promise<VolumeProbe>;
  /** The records of an add-on's backups in its storage (which may be reached from this machine, not the host). */
  backups(addon: string): Promise<BackupRecord[]>;
}
