// Brings up the test fleet (test/fleet/up.sh: hosts in network namespaces with their own sshd, cron
// and Docker engine) and writes configs for it.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const UP = fileURLToPath(new URL('../fleet/up.sh', import.meta.url));
const DOWN = fileURLToPath(new URL('../fleet/down.sh', import.meta.url));
// The suite runs in two lanes at once (scripts/test.sh), each on a fleet of its own: the second lane's project
// (vitest.config.ts) sets DBFORM_FLEET_ID and DBFORM_FLEET_STATE, which up.sh and down.sh read too.
export const FLEET_STATE = process.env.DBFORM_FLEET_STATE ?? '/fleet-state';

export interface FleetHost {
  name: string;
  address: string;
  port: number;
  user: string;
  hostKey: string;
  pid: number;
  dockerHost: string;
}

/** The fleet's S3 endpoint (s3rver in a network namespace of its own, on the fleet's bridge). */
export interface FleetS3 {
  endpoint: string;
  address: string;
  port: number;
  region: string;
  bucket: string;
  caFile: string;
  accessKeyId: string;
  secretAccessKey: string;
  netns: string;
  pid: number;
  /** Where s3rver keeps the objects, as files. */
  dataDir: string;
}

export interface Fleet {
  hosts: FleetHost[];
  identityFile: string;
  nonRootUser: string;
  /** The fleet's own bridge and subnet: each fleet has its own (test/fleet/lib.sh). */
  bridgeAddress: string;
  s3: FleetS3;
}

export function fleetUp(n: number): Fleet {
  execFileSync('bash', [UP, String(n), FLEET_STATE], { stdio: ['ignore', 'ignore', 'pipe'] });
  return JSON.parse(readFileSync(`${FLEET_STATE}/fleet.json`, 'utf8')) as Fleet;
}

export function fleetDown(): void {
  spawnSync('bash', [DOWN, FLEET_STATE], { stdio: 'ignore' });
}

/** The `hosts:` section for the fleet; `overrides` change fields of one host (e.g. a swapped key). */
export function hostsYaml(fleet: Fleet, overrides: Record<string, Partial<FleetHost>> = {}): string {
  return fleet.hosts
    .map((h) => {
      const o = { ...h, ...overrides[h.name] };
      return `  ${o.name}:\n    address: ${o.address}\n    port: ${o.port}\n    user: ${o.user}\n    hostKey: ${o.hostKey}\n    identityFile: ${fleet.identityFile}\n`;
    })
    .join('');
}

/** A highly available business add-on `orders` on db-1 and db-2 (port 31001), the consensus store on db-3. */
export function haOrdersYaml(fleet: Fleet, plan = 'postgresql-business-512'): string {
  return `version: 1
hosts:
${hostsYaml(fleet)}consensus:
  hosts: [db-3]
addons:
  orders:
    plan: ${plan}
    hosts: [db-1, db-2]
    port: 31001
`;
}

/** `docker` against one host's own engine, from the machine running the tests. */
export function dockerOn(host: FleetHost, args: string[], input?: string): string {
  const r = spawnSync('docker', ['-H', host.dockerHost, ...args], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} on ${host.name} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** psql as the superuser inside an add-on's container on a fleet host: drift made "by hand". */
export function psqlOn(host: FleetHost, addon: string, port: number, database: string, sql: string): string {
  return dockerOn(host, ['exec', '-i', `dbform-${addon}`, 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '/tmp', '-p', String(port), '-U', 'postgres', '-d', database, '-At'], sql);
}

/** sshd on fleet hosts logs to the host's console.log: count successful logins. */
export function acceptedLogins(host: FleetHost): number {
  const log = readFileSync(`${FLEET_STATE}/hosts/${host.name}/console.log`, 'utf8');
  return log.split('\n').filter((l) => l.includes('Accepted publickey')).length;
}

/** Every file below `dir` (s3rver keeps each object as files there): what the storage really holds. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The `storage:` section for the fleet's S3 endpoint, named `main`, credentials from the environment. */
export function s3StorageYaml(s3: { bucket: string; caFile: string }, endpoint = 'https://s3.fleet'): string {
  return `storage:
  main:
    type: s3
    endpoint: ${endpoint}
    region: us-east-1
    bucket: ${s3.bucket}
    accessKeyIdEnv: S3_ACCESS_KEY_ID
    secretAccessKeyEnv: S3_SECRET_ACCESS_KEY
    caFile: ${s3.caFile}
`;
}
