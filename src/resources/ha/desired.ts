import { haPorts } from '../../config/ha-check.js';
import { lookupPlan, postgresSettings } from '../../config/tiers.js';
import type { AddonConfig, Config, HostConfig } from '../../config/types.js';
import type { DesiredContext, Placed } from '../kind.js';
import { containerName, hostAddress, superuserKey } from '../desired.js';
import { logSettings } from '../container/log-settings.js';
import type { DesiredEtcd, DesiredGateway, DesiredPatroni } from './model.js';
import { ETCD_CLIENT_PORT, ETCD_PEER_PORT, HA_DIR, etcdCommand, gatewayConfig, patroniConfig, patroniStartOnly, type Member } from './render.js';
import { addonImage } from '../../config/image.js';
import { memberArchiving } from '../pitr/cluster.js';

/** The major version whose image carries etcd, Patroni and HAProxy (image/packages). */
const HA_IMAGE_VERSION = '15';

// Pure: the config -> the containers of high availability, placed on their hosts. A highly available
// add-on is a business add-on that lists `hosts:` (config/ha-check.ts has checked the rest).

export function isHighlyAvailable(addon: AddonConfig): boolean {
  return addon.hosts.length > 1;
}

export const ETCD_CONTAINER = 'dbform-etcd';
export const gatewayContainerName = (addon: string): string => `dbform-${addon}-gateway`;

function member(config: Config, name: string): Member {
  const host = config.hosts.find((h) => h.name === name) as HostConfig;
  return { name, address: hostAddress(host) };
}

function hostDataDir(config: Config, name: string): string {
  return (config.hosts.find((h) => h.name === name) as HostConfig).dataDir;
}

function consensusMembers(config: Config): Member[] {
  return (config.consensus?.hosts ?? []).map((h) => member(config, h));
}

const certCheck = (ctx: DesiredContext) => ({ caPublicKeyPem: ctx.caPublicKeyPem, now: ctx.now.toISOString() });

/** Where Patroni finds etcd (its client URLs), for the plan and tests. */
export function consensusEndpoints(config: Config): string[] {
  return consensusMembers(config).map((m) => `${m.address}:${ETCD_CLIENT_PORT}`);
}

export function etcdPlacements(config: Config, ctx: DesiredContext): Placed<DesiredEtcd>[] {
  const members = consensusMembers(config);
  // Only a fleet with a highly available add-on runs a consensus store.
  if (!config.addons.some(isHighlyAvailable)) return [];
  return members.map((m) => ({
    key: `etcd@${m.name}`,
    host: m.name,
    addon: '',
    desired: {
      members: members.map((x) => x.name),
      peerUrl: `https://${m.address}:${ETCD_PEER_PORT}`,
      clientUrl: `https://${m.address}:${ETCD_CLIENT_PORT}`,
      tlsNames: [m.address, m.name, '127.0.0.1'],
      certCheck: certCheck(ctx),
      spec: {
        role: 'etcd',
        addon: '',
        name: ETCD_CONTAINER,
        // etcd is in the PostgreSQL 15 image only (image/packages: the HA packages are bookworm's).
        image: addonImage(config, { version: HA_IMAGE_VERSION }),
        dir: `${hostDataDir(config, m.name)}/.consensus`,
        command: etcdCommand(m, members),
        memoryMb: null,
        files: {},
      },
    },
  }));
}

/** PostgreSQL's settings on every member: the plan's, dbform's fixed ones, TLS from files outside pgdata
 *  (Patroni creates pgdata itself and needs it empty). */
function memberParameters(addon: AddonConfig, archiving: Record<string, string>): Record<string, string> {
  const plan = lookupPlan(addon.plan)!;
  return {
    password_encryption: 'scram-sha-256',
    ssl: 'on',
    ssl_min_protocol_version: 'TLSv1.2',
    ssl_cert_file: `${HA_DIR}/tls/server.crt`,
    ssl_key_file: `${HA_DIR}/tls/server.key`,
    ...postgresSettings(plan.memoryMb),
    ...logSettings(addon.logs.slowQueryMs),
    // The daily backup is a pg_dump on the replica (backups/placement.ts). With feedback, the primary's
    // vacuum keeps the rows the dump's snapshot still reads, so recovery never cancels the dump for them.
    // A lock conflict (DDL, a vacuum truncating a table's end) still cancels it after 30 s, PostgreSQL's
    // default, kept on purpose: a longer wait would delay replay, and so a failover, for as long.
    hot_standby_feedback: 'on',
    max_standby_streaming_delay: '30s',
    // PITR (pitr/cluster.ts): archive_mode=on, so only the primary archives; a new primary goes on, on its timeline.
    ...archiving,
  };
}

/** A member's REST API, as the other members and dbform reach it. */
export const patroniApi = (m: Member, port: number): string => `https://${m.address}:${port}`;

function patroniPlacement(config: Config, ctx: DesiredContext, addon: AddonConfig, members: Member[], self: Member, preferred: boolean): Placed<DesiredPatroni> {
  const ports = haPorts(addon.port);
  const archiving = memberArchiving(config, addon, self.name);
  const patroniYml = patroniConfig({
    addon: addon.name, self, members, consensus: consensusMembers(config), postgresPort: ports.postgres, apiPort: ports.api,
    parameters: memberParameters(addon, archiving.settings), forceTls: addon.tls.force, synchronous: true,
  });
  return {
    key: `${addon.name}@${self.name}`,
    host: self.name,
    addon: addon.name,
    desired: {
      spec: {
        role: 'patroni' as const,
        addon: addon.name,
        name: containerName(addon.name),
        image: addonImage(config, addon),
        dir: `${hostDataDir(config, self.name)}/${addon.name}`,
        command: archiving.command(['patroni', `${HA_DIR}/patroni.yml`]),
        memoryMb: lookupPlan(addon.plan)!.memoryMb,
        startOnly: patroniStartOnly(patroniYml),
        files: { 'patroni.yml': patroniYml },
        // pgBackRest's settings (read-only), only with PITR: a cluster without keeps the spec it was made from.
        ...(archiving.mounts.length && { mounts: archiving.mounts }),
      },
      preferred,
      apiPort: ports.api,
      preferredApi: patroniApi(members[0]!, ports.api),
      peerApis: members.filter((m) => m !== self).map((m) => patroniApi(m, ports.api)),
      // 127.0.0.1: dbform and the backup program call each member's REST API on loopback, over HTTPS; localhost:
      // Patroni reads its own replica's timeline over a replication connection to localhost (verify-full).
      tlsNames: [...new Set([...members.flatMap((m) => [m.address, m.name]), '127.0.0.1', 'localhost', ...archiving.certNames])],
      superuserKey: superuserKey(addon.name),
      certCheck: certCheck(ctx),
    },
  };
}

export function patroniPlacements(config: Config, ctx: DesiredContext): Placed<DesiredPatroni>[] {
  return config.addons.filter(isHighlyAvailable).flatMap((addon) => {
    const members = addon.hosts.map((h) => member(config, h));
    return members.map((self, i) => patroniPlacement(config, ctx, addon, members, self, i === 0));
  });
}

export function gatewayPlacements(config: Config): Placed<DesiredGateway>[] {
  return config.addons.filter(isHighlyAvailable).flatMap((addon) => {
    const members = addon.hosts.map((h) => member(config, h));
    const readReplicas = (addon.readReplicas ?? []).map((h) => member(config, h).address);
    const ports = haPorts(addon.port);
    return members.map((self) => ({
      key: `${addon.name}@${self.name}`,
      host: self.name,
      addon: addon.name,
      desired: {
        port: ports.gateway,
        spec: {
          role: 'gateway' as const,
          addon: addon.name,
          name: gatewayContainerName(addon.name),
          image: addonImage(config, addon),
          dir: `${hostDataDir(config, self.name)}/${addon.name}/gateway`,
          command: ['haproxy', '-db', '-f', `${HA_DIR}/haproxy.cfg`],
          memoryMb: null,
          files: { 'haproxy.cfg': gatewayConfig({ port: ports.gateway, postgresPort: ports.postgres, apiPort: ports.api, members, allowedIps: addon.allowedIps, readReplicas }) },
        },
      },
    }));
  });
}
