import { DateTime } from 'luxon';
import { size } from '../cli/commands/byte-size.js';
import type { AddonStatus, FleetStatus, GatewayStatus, MemberStatus } from './model.js';

// Pure: the fleet's status as text for a terminal, one block per add-on and one line group per member.
// "-" stands for a figure that does not exist or could not be read; why is said under "errors".

const bytes = (n: number | null) => (n === null ? '-' : size(n));
const value = (n: number | null, unit = '') => (n === null ? '-' : `${n}${unit}`);

function when(iso: string, zone: string, now: Date): string {
  const t = DateTime.fromISO(iso).setZone(zone);
  const ago = DateTime.fromJSDate(now).diff(t, ['days', 'hours', 'minutes']).shiftTo('days', 'hours', 'minutes');
  const parts = ago.days >= 1 ? `${Math.floor(ago.days)} d ${Math.floor(ago.hours)} h` : ago.hours >= 1 ? `${Math.floor(ago.hours)} h ${Math.floor(ago.minutes)} min` : `${Math.max(0, Math.floor(ago.minutes))} min`;
  return `${t.toFormat('yyyy-MM-dd HH:mm ZZZZ')} (${parts} ago)`;
}

function guardLine(m: MemberStatus): string {
  const g = m.diskGuard;
  if (!g) return 'not run yet';
  const mode = g.mode === 'read-only' ? 'READ-ONLY (disk full: writes refused until below 90 %)' : (g.mode ?? '-');
  return `${mode}, ${value(g.percent, ' %')} of its disk used${g.checkedAt ? ` at ${g.checkedAt}` : ''}${g.error ? `; last run failed: ${g.error}` : ''}`;
}

function replicationLine(m: MemberStatus): string {
  if (m.replicationLagSeconds === null && m.replicationLagBytes === null) return m.role === 'primary' ? '- (primary, no replica)' : '-';
  return `${value(m.replicationLagSeconds, ' s')} behind, ${bytes(m.replicationLagBytes)} of WAL not replayed`;
}

function memberLines(m: MemberStatus): string[] {
  const mem = m.memory;
  return [
    `  ${m.name} (${m.readReplica ? 'read replica' : m.role}) on ${m.host}: ${m.state}`,
    `    cpu          ${value(m.cpuPercent, ' %')}`,
    `    memory       ${bytes(mem.current)} now, ${bytes(mem.peak)} highest, ${bytes(mem.limit)} limit, ${bytes(mem.free)} free`,
    `    swap         ${bytes(m.swap.current)}${m.swap.limit === null ? '' : ` of ${bytes(m.swap.limit)}`}`,
    `    connections  ${value(m.connections.open)} open of ${value(m.connections.max)}`,
    `    data         ${bytes(m.dataSize)} (databases), ${bytes(m.diskSize)} on disk`,
    `    disk         ${m.disk.quota === null ? 'no quota' : `quota ${bytes(m.disk.quota)}`}, filesystem ${bytes(m.disk.filesystemFree)} free of ${bytes(m.disk.filesystemSize)}`,
    `    disk guard   ${guardLine(m)}`,
    `    replication  ${replicationLine(m)}`,
  ];
}

function gatewayLines(g: GatewayStatus): string[] {
  return [
    `  ${g.name} (gateway) on ${g.host}: ${g.state}`,
    `    cpu          ${value(g.cpuPercent, ' %')}`,
    `    memory       ${bytes(g.memory.current)} now, ${bytes(g.memory.peak)} highest${g.memory.limit === null ? ', no limit' : `, ${bytes(g.memory.limit)} limit`}`,
  ];
}

function driftLine(a: AddonStatus): string {
  const d = a.drift;
  if (!d) return 'not checked';
  if (d.error) return `unknown (${d.error})`;
  return d.changes === 0 ? 'none: matches the file' : `${d.changes} change${d.changes === 1 ? '' : 's'} (dbform plan shows them)`;
}

function addonBlock(a: AddonStatus, zone: string, now: Date): string[] {
  const lines = [`${a.addon}  ${a.plan} on ${a.members.filter((m) => !m.readReplica).map((m) => m.host).join(', ') || a.host}, PostgreSQL ${a.serverVersion ?? a.version}: ${a.state}`];
  for (const m of a.members) lines.push(...memberLines(m));
  for (const g of a.gateways) lines.push(...gatewayLines(g));
  const b = a.backups;
  if (!b) lines.push('  backups        off');
  else if (b.error) lines.push(`  backups        cannot be listed: ${b.error}`);
  else lines.push(`  last backup    ${b.lastGood ? `${b.lastGood.id}, ${when(b.lastGood.startedAt, zone, now)}, ${bytes(b.lastGood.size)}` : 'none yet'} (${b.count} stored)`);
  const p = a.pitr;
  if (!p) lines.push('  PITR           off');
  else if (p.window) lines.push(`  PITR window    ${DateTime.fromISO(p.window.earliest).setZone(zone).toFormat('yyyy-MM-dd HH:mm:ss')} to ${DateTime.fromISO(p.window.latest).setZone(zone).toFormat('yyyy-MM-dd HH:mm:ss ZZZZ')}`);
  else lines.push(`  PITR window    none (${p.error ?? p.status})`);
  lines.push(`  drift          ${driftLine(a)}`);
  for (const e of a.errors) lines.push(`  error: ${e}`);
  return lines;
}

export function statusText(s: FleetStatus, zone: string): string {
  const now = new Date(s.at);
  const blocks = s.addons.map((a) => addonBlock(a, zone, now).join('\n'));
  const hostErrors = Object.entries(s.hostErrors).map(([h, e]) => `Error: host ${h}: ${e}`);
  if (!s.addons.length) blocks.push('No add-ons in the file.');
  return [...blocks, ...(hostErrors.length ? [hostErrors.join('\n')] : [])].join('\n\n');
}
