// Checks of high availability in databases.yaml: a business add-on's `hosts:` (its members) and the
// fleet's `consensus:` (where etcd runs). Like semantic.ts, it reads the raw data defensively and reports
// every problem at once; a value of the wrong type is the schema's to report.

import { closest, show } from './messages.js';
import type { Issue, PathSeg } from './yaml-source.js';

type Rec = Record<string, unknown>;

const rec = (v: unknown): Rec | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);

/** Members of a highly available add-on: a primary and its synchronous replica. */
export const HA_MEMBERS = 2;

/** The only major version a highly available add-on runs: Patroni and etcd are packaged in dbform's
 *  PostgreSQL 15 image only (image/packages: trixie's python3-etcd3 does not install under debootstrap). */
export const HA_POSTGRES_VERSION = '15';

/** Ports a highly available add-on takes on each member host, from its `port`: the gateway (what clients
 *  use), PostgreSQL itself, Patroni's REST API, and with PITR pgBackRest's TLS server (the replica's base
 *  backups reach the primary through it: pitr/standby-backup.ts). */
export function haPorts(port: number): { gateway: number; postgres: number; api: number; backupServer: number } {
  return { gateway: port, postgres: port + 1, api: port + 2, backupServer: port + 3 };
}

export function isBusinessPlan(plan: unknown): boolean {
  return typeof plan === 'string' && plan.startsWith('postgresql-business-');
}

function unknownHost(name: string, declared: string[]): string {
  const hint = closest(name, declared);
  return `host ${show(name)} is not declared under hosts${hint ? `; did you mean "${hint}"?` : ''} (declared: ${declared.join(', ')})`;
}

/** Members and etcd reach each other by address: a `transport: local` host has none to give them. */
function localProblem(root: Rec, host: string): string | undefined {
  if (rec(rec(root.hosts)?.[host])?.transport !== 'local') return undefined;
  return `host "${host}" is transport: local; the members of a highly available add-on and of the consensus store reach each other by address: use SSH hosts`;
}

function checkMembers(name: string, addon: Rec, hostNames: string[], issues: Issue[]): boolean {
  const path: PathSeg[] = ['addons', name, 'hosts'];
  const members = strings(addon.hosts);
  if (!members) return false;
  if (addon.host !== undefined) {
    issues.push({ path, on: 'key', message: `add-on "${name}": set host (one instance) or hosts (a highly available business add-on), not both` });
  }
  if (!isBusinessPlan(addon.plan)) {
    issues.push({ path, on: 'key', message: `add-on "${name}": hosts lists the members of a highly available add-on, which only business plans are; use host: with plan ${show(addon.plan)}` });
    return true;
  }
  if (typeof addon.version === 'string' && addon.version !== HA_POSTGRES_VERSION) {
    issues.push({
      path: ['addons', name, 'version'], on: 'value',
      message: `add-on "${name}": a highly available add-on runs PostgreSQL ${HA_POSTGRES_VERSION} for now (Patroni and etcd are in dbform's ${HA_POSTGRES_VERSION} image only); set version: "${HA_POSTGRES_VERSION}", or use host: for a single instance of ${addon.version}`,
    });
  }
  if (members.length !== HA_MEMBERS) {
    issues.push({ path, on: 'value', message: `add-on "${name}": a business add-on runs on ${HA_MEMBERS} hosts (a primary and its synchronous replica), got ${members.length}; list ${HA_MEMBERS} hosts, or use host: for a single instance` });
  }
  members.forEach((m, i) => {
    if (!hostNames.includes(m)) issues.push({ path: [...path, i], on: 'value', message: unknownHost(m, hostNames) });
  });
  return true;
}

function checkConsensus(consensus: Rec | undefined, hostNames: string[], issues: Issue[]): void {
  const members = strings(consensus?.hosts);
  if (!members) return;
  const path: PathSeg[] = ['consensus', 'hosts'];
  members.forEach((m, i) => {
    if (!hostNames.includes(m)) issues.push({ path: [...path, i], on: 'value', message: unknownHost(m, hostNames) });
  });
  if (members.length > 1 && members.length % 2 === 0) {
    issues.push({
      path,
      on: 'value',
      message: `consensus: ${members.length} etcd members stop electing as soon as ${members.length / 2} of them is lost, no better than ${members.length - 1}; use an odd number: 3 (recommended) or 1 for a test fleet`,
    });
  }
}

/** `hosts` and `consensus`; returns the add-ons that list `hosts` (semantic.ts skips its `host` checks for them). */
export function checkHighAvailability(root: Rec, hostNames: string[], issues: Issue[]): Set<string> {
  const withMembers = new Set<string>();
  const addons = rec(root.addons) ?? {};
  let needsConsensus: string | undefined;
  for (const name of Object.keys(addons)) {
    const addon = rec(addons[name]);
    if (!addon || !checkMembers(name, addon, hostNames, issues)) continue;
    withMembers.add(name);
    if (isBusinessPlan(addon.plan)) needsConsensus ??= name;
  }
  const consensus = rec(root.consensus);
  checkConsensus(consensus, hostNames, issues);
  const places: Array<[PathSeg[], unknown]> = [
    ...[...withMembers].filter((a) => isBusinessPlan(rec(addons[a])?.plan)).map((a): [PathSeg[], unknown] => [['addons', a, 'hosts'], rec(addons[a])?.hosts]),
    ...(needsConsensus !== undefined ? [[['consensus', 'hosts'], consensus?.hosts] as [PathSeg[], unknown]] : []),
  ];
  for (const [path, list] of places) {
    (strings(list) ?? []).forEach((h, i) => {
      const problem = localProblem(root, h);
      if (problem) issues.push({ path: [...path, i], on: 'value', message: problem });
    });
  }
  if (needsConsensus !== undefined && !consensus) {
    issues.push({
      path: ['addons', needsConsensus, 'hosts'],
      on: 'key',
      message: `add-on "${needsConsensus}" is highly available and needs a consensus store: declare where etcd runs, e.g. consensus: {hosts: [db-3]} (3 hosts recommended, 1 for a test fleet)`,
    });
  }
  return withMembers;
}
