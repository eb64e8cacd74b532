import { parse, stringify } from 'yaml';
import { canonicalSha256Hex } from '../../util/canonical.js';
import { HA_DIR } from './dir.js';
import { CA_FILE, ETCD_CLIENT_CERT, ETCD_MEMBER_CERT, MEMBER_CERT, MEMBER_CLIENT_CERT } from './tls.js';

// Pure renderers of what the highly available containers read: etcd's command line, Patroni's
// patroni.yml and HAProxy's haproxy.cfg. Timings are those measured on the test fleet (see the README's
// High availability section): a host crash is noticed and failed over within the 10 s goal. Every link
// between them is TLS with the fleet CA (ha/tls.ts): etcd's clients and peers, Patroni's REST API (and
// HAProxy's health checks of it), replication and pg_rewind between the members.

export { HA_DIR };
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
/** Patroni's timing: a leader key lives `ttl` s; `loop_wait + 2 * retry_timeout <= ttl` (Patroni's rule). */
export const PATRONI_TIMING = { ttl: 6, loop_wait: 1, retry_timeout: 2 } as const;
export const REPLICATION_USER = 'replicator';
/** HAProxy's statistics (CSV over HTTP) on a unix socket in the gateway's directory: apply reads which
 *  members it routes to. Only the container's user (and root on the host) can open it. */
export const GATEWAY_STATS_SOCKET = `${HA_DIR}/stats.sock`;

export interface Member {
  name: string;
  address: string;
}

/** etcd's command: one member of the fleet's consensus store. Clients and peers must show a certificate of the
 *  fleet CA (--client-cert-auth): a client without one is refused at the TLS handshake. */
export function etcdCommand(self: Member, members: Member[]): string[] {
  const peer = (m: Member) => `https://${m.address}:${ETCD_PEER_PORT}`;
  return [
    'etcd',
    '--name', self.name,
    '--data-dir', `${HA_DIR}/etcd`,
    '--listen-peer-urls', peer(self),
    '--initial-advertise-peer-urls', peer(self),
    '--listen-client-urls', `https://${self.address}:${ETCD_CLIENT_PORT},https://127.0.0.1:${ETCD_CLIENT_PORT}`,
    '--advertise-client-urls', `https://${self.address}:${ETCD_CLIENT_PORT}`,
    '--initial-cluster', members.map((m) => `${m.name}=${peer(m)}`).join(','),
    '--initial-cluster-token', 'dbform',
    '--initial-cluster-state', 'new',
    '--cert-file', ETCD_MEMBER_CERT.cert, '--key-file', ETCD_MEMBER_CERT.key, '--trusted-ca-file', CA_FILE, '--client-cert-auth',
    '--peer-cert-file', ETCD_MEMBER_CERT.cert, '--peer-key-file', ETCD_MEMBER_CERT.key, '--peer-trusted-ca-file', CA_FILE, '--peer-client-cert-auth',
  ];
}

/** Settings Patroni takes only from the consensus store (its CMDLINE_OPTIONS): in patroni.yml's local
 *  `parameters` it ignores them, and after the bootstrap it no longer reads `bootstrap.dcs`. A change of one
 *  of them (max_connections, with a plan change) is written to the store by apply (PATCH /config). */
const DCS_ONLY_PARAMETERS = new Set([
  'max_connections', 'max_locks_per_transaction', 'max_worker_processes', 'max_prepared_transactions', 'wal_level',
  'track_commit_timestamp', 'max_wal_senders', 'max_replication_slots', 'wal_keep_segments', 'wal_keep_size', 'wal_log_hints', 'hot_standby',
]);

/** Digest of what Patroni reads of patroni.yml only when it starts: the consensus store's section (a SIGHUP
 *  reloads the REST API's certificate and PostgreSQL's settings, not the etcd client: Patroni 3.0's
 *  reload_config of its etcd client takes only a user name and password). `hosts` replaces the section's
 *  list of the store's addresses (what a running member started with, see sameButConsensus). */
export function patroniStartOnly(patroniYml: string, hosts?: readonly string[]): string {
  const doc = parse(patroniYml) as { etcd3?: Record<string, unknown> } | null;
  const etcd3 = doc?.etcd3 && hosts ? { ...doc.etcd3, hosts: [...hosts] } : doc?.etcd3;
  return canonicalSha256Hex({ etcd3: etcd3 ?? null }).slice(0, 16);
}

/** The consensus store's client addresses a patroni.yml names (ADDRESS:PORT). */
export function consensusHosts(patroniYml: string): string[] {
  const doc = parse(patroniYml) as { etcd3?: { hosts?: unknown } } | null;
  const hosts = doc?.etcd3?.hosts;
  return Array.isArray(hosts) ? hosts.filter((h): h is string => typeof h === 'string') : [];
}

/** The settings of a rendered patroni.yml that only the consensus store sets. */
export function dcsParameters(patroniYml: string): Record<string, string> {
  const doc = parse(patroniYml) as { postgresql?: { parameters?: Record<string, string> } } | null;
  return Object.fromEntries(Object.entries(doc?.postgresql?.parameters ?? {}).filter(([k]) => DCS_ONLY_PARAMETERS.has(k)));
}

export interface PatroniInput {
  addon: string;
  self: Member;
  members: Member[];
  consensus: Member[];
  postgresPort: number;
  apiPort: number;
  /** PostgreSQL settings (the plan's, dbform's fixed ones, TLS files). */
  parameters: Record<string, string>;
  /** Who may connect as an application user: hostssl when TLS is forced. */
  forceTls: boolean;
  synchronous: boolean;
}

/** pg_hba as Patroni writes it: PostgreSQL sees the gateways' addresses (the members'), never the clients':
 *  allowedIps is enforced by the gateway (gatewayConfig). The superuser only from loopback and members (dbform's
 *  own sessions come through a gateway; Patroni's pg_rewind asks for TLS itself); replication only over TLS. */
export function patroniHba(members: Member[], forceTls: boolean): string[] {
  const cidrs = members.map((m) => `${m.address}/32`);
  const type = forceTls ? 'hostssl' : 'host';
  return [
    'local all all peer',
    'host all postgres 127.0.0.1/32 scram-sha-256',
    ...cidrs.map((c) => `host all postgres ${c} scram-sha-256`),
    'host all postgres all reject',
    // Loopback too: Patroni reads a replica's own timeline over a replication connection to localhost.
    ...['127.0.0.1/32', ...cidrs].map((c) => `hostssl replication ${REPLICATION_USER} ${c} scram-sha-256`),
    ...cidrs.map((c) => `${type} all all ${c} scram-sha-256`),
    'host all all all reject',
  ];
}

/** libpq's settings for a connection to another member: its certificate names its address (verify-full). */
const MEMBER_TLS = { sslmode: 'verify-full', sslrootcert: CA_FILE } as const;

/** patroni.yml of one member. Passwords are not in it: Patroni reads PATRONI_SUPERUSER_PASSWORD and
 *  PATRONI_REPLICATION_PASSWORD from its environment. */
export function patroniConfig(p: PatroniInput): string {
  const parameters = { ...p.parameters, wal_log_hints: 'on', unix_socket_directories: '/tmp' };
  const doc = {
    scope: p.addon,
    namespace: '/dbform/',
    name: p.self.name,
    // HTTPS with the member's server certificate. Changes (switchover, restart, reinitialize, settings: Patroni's
    // "unsafe" endpoints) need a client certificate of the fleet CA (verify_client optional); reads (health,
    // role: HAProxy's checks, the backup program) need none. Patroni's own client, and patronictl, show the
    // member's client certificate (ctl's files; without them it would show the server certificate, which the
    // other members would refuse) and verify the other members' APIs against the CA.
    restapi: {
      listen: `0.0.0.0:${p.apiPort}`, connect_address: `${p.self.address}:${p.apiPort}`,
      certfile: MEMBER_CERT.cert, keyfile: MEMBER_CERT.key, cafile: CA_FILE, verify_client: 'optional',
    },
    ctl: { cacert: CA_FILE, certfile: MEMBER_CLIENT_CERT.cert, keyfile: MEMBER_CLIENT_CERT.key },
    etcd3: {
      hosts: p.consensus.map((m) => `${m.address}:${ETCD_CLIENT_PORT}`),
      protocol: 'https', cacert: CA_FILE, cert: ETCD_CLIENT_CERT.cert, key: ETCD_CLIENT_CERT.key,
    },
    bootstrap: {
      dcs: {
        ...PATRONI_TIMING,
        maximum_lag_on_failover: 1048576,
        // No acknowledged commit is lost when the primary's host dies; without a replica, the primary keeps
        // accepting writes (not strict).
        synchronous_mode: p.synchronous,
        synchronous_mode_strict: false,
        postgresql: { use_pg_rewind: true, use_slots: true, parameters },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C.UTF-8' }, 'data-checksums', { 'auth-local': 'peer' }, { 'auth-host': 'scram-sha-256' }],
    },
    postgresql: {
      listen: `0.0.0.0:${p.postgresPort}`,
      connect_address: `${p.self.address}:${p.postgresPort}`,
      use_unix_socket: true,
      data_dir: `${HA_DIR}/pgdata`,
      bin_dir: '/usr/lib/postgresql/15/bin',
      pgpass: '/tmp/pgpass',
      // Streaming, cloning and pg_rewind between the members verify the other member's certificate.
      authentication: {
        superuser: { username: 'postgres', ...MEMBER_TLS },
        replication: { username: REPLICATION_USER, ...MEMBER_TLS },
      },
      parameters,
      pg_hba: patroniHba(p.members, p.forceTls),
      // A new member (a member moved to another host, one rebuilt) clones the primary with pg_basebackup, which by
      // default waits for a spread checkpoint: 95 s measured on the test fleet for a few MB. An immediate one.
      basebackup: [{ checkpoint: 'fast' }],
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
  return '# managed by dbform from databases.yaml: changes made here are reverted\n' + stringify(doc, { lineWidth: 0 });
}

export interface GatewayInput {
  port: number;
  postgresPort: number;
  apiPort: number;
  members: Member[];
  /** The add-on's allowedIps (empty: every address). */
  allowedIps: string[];
  /** Its read replicas' addresses: they stream through the gateways, so they pass allowedIps too. */
  readReplicas: string[];
}

/** haproxy.cfg of one gateway: TCP to whichever member Patroni's API calls the primary (TLS passes through
 *  untouched, so tls.force holds end to end). The health check asks the API over HTTPS, verified against the
 *  fleet CA (the gateway's directory has its certificate). A member marked down has its sessions cut, so clients
 *  reconnect to the new primary at once instead of hanging on a dead one. */
export function gatewayConfig(g: GatewayInput): string {
  const allowed = g.allowedIps.length ? ['127.0.0.1/32', '::1/128', ...[...g.members.map((m) => m.address), ...g.readReplicas].map((a) => `${a}/32`), ...g.allowedIps] : [];
  return [
    '# managed by dbform from databases.yaml: changes made here are reverted',
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 30m',
    '  timeout server 30m',
    '  timeout check 1s',
    'listen primary',
    `  bind 0.0.0.0:${g.port}`,
    ...(allowed.length ? [`  tcp-request connection reject unless { src ${allowed.join(' ')} }`] : []),
    '  option httpchk GET /primary',
    '  http-check expect status 200',
    '  default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 1 on-marked-down shutdown-sessions',
    ...g.members.map((m) => `  server ${m.name} ${m.address}:${g.postgresPort} check port ${g.apiPort} check-ssl verify required ca-file ${CA_FILE}`),
    'frontend stats',
    '  mode http',
    `  bind unix@${GATEWAY_STATS_SOCKET} mode 600`,
    '  stats enable',
    '  stats uri /',
    '',
  ].join('\n');
}
