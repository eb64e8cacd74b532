// Desired and observed state of the containers that make a highly available add-on: the consensus store
// (etcd), the Patroni members (PostgreSQL run by Patroni) and the gateways (HAProxy). They are all run
// alike, from dbform's image with host networking and a restart policy, so one shape describes each.

/** What dbform runs for high availability: which of the three. */
export type HaRole = 'etcd' | 'patroni' | 'gateway';

export interface HaContainerSpec {
  role: HaRole;
  /** The add-on it serves ("" for the consensus store, which serves the fleet). */
  addon: string;
  name: string;
  image: string;
  /** Host directory mounted at /var/lib/dbform in the container: its files and data. */
  dir: string;
  /** The command run in the container (the image has no entrypoint). */
  command: string[];
  /** The container's hard memory limit (the plan's, for PostgreSQL), or null for none. */
  memoryMb: number | null;
  /** Digest of the settings in its files that it reads only when it starts (Patroni: where the consensus store
   *  is and how to reach it): part of specHash, so that a change of one makes it again instead of a reload.
   *  Absent for containers that read every file only at start. */
  startOnly?: string;
  /** More bind mounts, "HOST:CONTAINER[:ro]" (a member's pgBackRest settings); absent: none. */
  mounts?: string[];
  /** Files dbform writes under `dir` (relative path -> content). None holds a secret: Patroni reads its
   *  passwords from the environment, filled in by apply (see patroni/apply.ts). */
  files: Record<string, string>;
}

/** A container dbform runs for high availability, as `docker inspect` shows it. */
export interface ObservedHaContainer {
  name: string;
  role: string;
  addon: string;
  /** specHash of what it was started from (a label): any difference means it must be made again. */
  spec: string;
  running: boolean;
  status: string;
  /** Host directory mounted at /var/lib/dbform ("" when none). */
  dir: string;
  /** The image it runs, and the one its image name points to now: they differ once the image is rebuilt
   *  (a minor upgrade). Null when unknown. */
  imageId: string | null;
  tagImageId: string | null;
  /** The command it runs (docker's Config.Cmd); absent when not read (recordings). etcd's bootstrap flags
   *  (--initial-cluster...) are read from it: etcd ignores them once its data directory exists. */
  command?: string[];
  /** A Patroni member: the consensus store's client addresses its patroni.yml named when it started (a label);
   *  absent for a member started before dbform recorded them. */
  consensusAtStart?: string[];
}

/** A Patroni member as the cluster sees it (Patroni's /cluster endpoint). */
export interface PatroniMemberState {
  /** leader, sync_standby, replica (Patroni's words). */
  role: string;
  /** running, streaming, starting, stopped, start failed, ... */
  state: string;
  /** Replication lag in MB, rounded up (0: none); null for the leader or when Patroni does not know. Rounded
   *  so that the plan's fingerprint of the live state does not move with every byte of WAL. */
  lagMb: number | null;
  timeline: number | null;
  /** Patroni's word that settings changed in the consensus store wait for a restart of this member. */
  pendingRestart: boolean;
  /** Its REST API answers plain http: it was started before dbform encrypted the API (moved to TLS by apply). */
  plainHttpApi: boolean;
}

/** A container and the SHA-256 of each of its files on the host (null: missing). */
export interface ObservedHaUnit {
  container: ObservedHaContainer | null;
  files: Record<string, string | null>;
}

export interface ObservedPatroni extends ObservedHaUnit {
  /** The consensus store's addresses the running member started with (its label, or for a member started
   *  before the label, the patroni.yml it started from); absent when unknown. */
  consensusAtStart?: string[];
  /** The consensus store's addresses its patroni.yml on the host names now; absent when unknown. */
  consensusInFile?: string[];
  /** null when Patroni's API did not answer (stopped, starting). */
  member: PatroniMemberState | null;
  /** Its certificates as read on the host, by path in the container (null: missing; absent: not read). */
  certs?: Record<string, string | null>;
}

/** What the certificates of a container of high availability are checked against (ha/cert-check.ts). */
export interface CertCheck {
  caPublicKeyPem: string;
  /** When the plan is made (ISO): a certificate with under 30 days left from then is renewed. */
  now: string;
}

export interface DesiredPatroni {
  spec: HaContainerSpec;
  /** Preferred primary (the first of the add-on's hosts): it bootstraps the cluster, the others clone it. */
  preferred: boolean;
  /** Patroni's REST API on this member, and the preferred member's (the others wait for it at creation). */
  apiPort: number;
  preferredApi: string;
  /** The other members' REST APIs: a primary made again hands its role over to one of them first. */
  peerApis: string[];
  /** Names and addresses the members' server certificate covers (clients reach any gateway). */
  tlsNames: string[];
  /** Keystore entry of the add-on's superuser password (the same on every member: derived, see apply). */
  superuserKey: string;
  certCheck: CertCheck;
}

export interface DesiredEtcd {
  spec: HaContainerSpec;
  /** Every member of the consensus store (host names). */
  members: string[];
  /** Where its peers (https://ADDRESS:2380) and clients (https://ADDRESS:2379) reach it. */
  peerUrl: string;
  clientUrl: string;
  /** Names and addresses its certificate covers (its peers and Patroni reach it by address). */
  tlsNames: string[];
  certCheck: CertCheck;
}

/** A member of the consensus store as etcd reports it (its member list). */
export interface EtcdMember {
  /** etcd's member ID (a uint64, kept as the decimal string its JSON API gives). */
  id: string;
  /** The member's name: the host's name in dbform's store; "" for a member added but not started yet. */
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  /** A learner: it receives the store's log but does not vote (a member joining, before its promotion). */
  learner: boolean;
}

export interface ObservedEtcd extends ObservedHaUnit {
  /** Whether it has its certificate: an etcd made before dbform encrypted the consensus store has none. */
  hasCert: boolean;
  /** Its certificate as read on the host (see ObservedPatroni.certs). */
  certs?: Record<string, string | null>;
  /** The store's members as this member reports them; null when it does not answer (or is not running),
   *  absent when not read (recordings). */
  members?: EtcdMember[] | null;
  /** Where clients reach this member (https://ADDRESS:2379); absent when not read. */
  clientUrl?: string;
}

export interface DesiredGateway {
  spec: HaContainerSpec;
  port: number;
}
