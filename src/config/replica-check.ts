// Checks of read replicas in databases.yaml: an add-on's `readReplicas:` (hosts that run an asynchronous
// copy of it) and `promotedFrom:` (an add-on that was such a copy). Like semantic.ts, it reads the raw data
// defensively and reports every problem at once; a value of the wrong type is the schema's to report.

import { closest, show } from './messages.js';
import type { Issue, PathSeg } from './yaml-source.js';

type Rec = Record<string, unknown>;

const rec = (v: unknown): Rec | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : []);

function unknownHost(name: string, declared: string[]): string {
  const hint = closest(name, declared);
  return `host ${show(name)} is not declared under hosts${hint ? `; did you mean "${hint}"?` : ''} (declared: ${declared.join(', ')})`;
}

/** Where an add-on's read replicas listen: `host:port` -> what owns it, for semantic.ts's port clash check. */
export function replicaPorts(addon: Rec, name: string): Array<{ host: string; port: number; owner: string }> {
  if (typeof addon.port !== 'number') return [];
  return strings(addon.readReplicas).map((host) => ({ host, port: addon.port as number, owner: `the read replica of "${name}"` }));
}

/** One add-on's `readReplicas` and `promotedFrom`. `host` is its single host, `members` a highly available
 *  add-on's hosts (one of the two is undefined). */
export function checkReadReplicas(name: string, addon: Rec, host: string | undefined, members: string[] | undefined, hostNames: string[], addons: Rec, path: PathSeg[], issues: Issue[]): void {
  const replicas = strings(addon.readReplicas);
  replicas.forEach((replica, i) => {
    const at = [...path, 'readReplicas', i];
    if (!hostNames.includes(replica)) issues.push({ path: at, on: 'value', message: `add-on "${name}": read replica on ${unknownHost(replica, hostNames)}` });
    else if (replica === host) issues.push({ path: at, on: 'value', message: `add-on "${name}": a read replica on "${replica}", the add-on's own host, would copy nothing to another machine; name another host` });
    // A member's host already runs a copy (the member), and the gateway there listens on the add-on's port.
    else if (members?.includes(replica)) issues.push({ path: at, on: 'value', message: `add-on "${name}": a read replica on "${replica}", one of its members (hosts:), would copy nothing to another machine; name another host (the consensus store's host is fine)` });
  });
  // A replica's container is dbform-NAME-replica: an add-on named NAME-replica on that host would take its name.
  const namesake = rec(addons[`${name}-replica`]);
  if (namesake && typeof namesake.host === 'string' && replicas.includes(namesake.host)) {
    issues.push({ path: [...path, 'readReplicas'], on: 'key', message: `add-on "${name}": its read replica on "${namesake.host}" and add-on "${name}-replica" there would both be container dbform-${name}-replica; rename that add-on` });
  }
  const from = addon.promotedFrom;
  if (typeof from !== 'string') return;
  const at = [...path, 'promotedFrom'];
  const source = rec(addons[from]);
  if (from === name || !source) {
    const hint = closest(from, Object.keys(addons).filter((a) => a !== name));
    issues.push({ path: at, on: 'value', message: `add-on "${name}": promotedFrom ${show(from)} is not another add-on of this file${hint ? `; did you mean "${hint}"?` : ''}` });
    return;
  }
  if (host !== undefined && strings(source.readReplicas).includes(host)) {
    issues.push({ path: at, on: 'value', message: `add-on "${name}": to promote the read replica of "${from}" on "${host}", also remove "${host}" from the readReplicas of "${from}"` });
  }
  if (Array.isArray(addon.hosts)) issues.push({ path: at, on: 'key', message: `add-on "${name}": a promoted read replica runs on one host (host:), not hosts:` });
  if ((addon.version ?? '15') !== (source.version ?? '15')) {
    issues.push({ path: at, on: 'value', message: `add-on "${name}": a promoted read replica runs the version of "${from}" (${show(source.version ?? '15')}); set the same version` });
  }
}
