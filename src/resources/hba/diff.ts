import { fileDiff } from '../../plan/file-diff.js';
import type { Attrs, Change, FileDiff, Hazard } from '../../plan/types.js';
import { hostPgdata } from '../data-files.js';
import type { DesiredAddon, ObservedCatalog } from '../model.js';
import { maskHbaSecrets, renderHba } from './hba.js';
import { REPLICATION_ROLE } from '../replica/model.js';

// Pure: pg_hba.conf is exactly what dbform renders from tls.force and allowedIps (and readReplicas: a
// replication line per replica host, for dbform's own role). Any difference is an access change (who may
// connect, and how); one in the replication lines only is the replicas' own doing, without a hazard. A file
// edited by hand (one dbform's renderer would not produce from any rules) comes with a diff of what apply
// will undo.

interface AccessRules {
  tls_forced: boolean;
  allowed_ips: string[];
  /** Addresses of the read replicas that may stream WAL (absent when none). */
  replication_from?: string[];
}

/** The addresses of the replication lines (`hostssl replication ROLE ADDR/32 ...`) renderHba writes. */
function replicationFrom(lines: string[][]): string[] {
  return lines.filter((f) => f[0] === 'hostssl' && f[1] === 'replication' && f[2] === REPLICATION_ROLE && f[4] === 'scram-sha-256').map((f) => f[3]!.replace(/\/(32|128)$/, ''));
}

/** Reads back the client rules of a pg_hba.conf dbform wrote (null for a file it did not write). */
export function parseRules(hba: string | null): AccessRules | null {
  if (!hba?.startsWith('# managed by dbform')) return null;
  const lines = hba.split('\n').map((l) => l.trim().split(/\s+/));
  const rules = lines
    .filter((f) => (f[0] === 'host' || f[0] === 'hostssl') && f[1] === 'all' && f[2] === 'all' && f[4] === 'scram-sha-256');
  const ranges = rules.map((f) => f[3]!);
  const allowed = ranges.join(',') === '0.0.0.0/0,::/0' ? [] : ranges;
  const replicas = replicationFrom(lines);
  return { tls_forced: rules.length > 0 && rules.every((f) => f[0] === 'hostssl'), allowed_ips: allowed, ...(replicas.length && { replication_from: replicas }) };
}

function hazardsOf(before: AccessRules | null, after: AccessRules): Hazard[] {
  const out: Hazard[] = [];
  if (!before || before.tls_forced !== after.tls_forced) {
    out.push({
      code: 'ACCESS_CHANGE',
      message: after.tls_forced ? 'clients that connect without TLS are refused' : 'clients may connect without TLS again',
    });
  }
  if (!before || before.allowed_ips.join(',') !== after.allowed_ips.join(',')) {
    out.push({
      code: 'ACCESS_CHANGE',
      message: after.allowed_ips.length ? `only ${after.allowed_ips.join(', ')} may connect` : 'clients may connect from any address (with a password)',
    });
  }
  return out;
}

/** The hand edits as a diff, or undefined when the file is exactly what dbform wrote for some rules. */
function handEdits(desired: DesiredAddon, onHost: string, parsed: AccessRules | null): FileDiff | undefined {
  if (parsed && renderHba({ force: parsed.tls_forced, allowedIps: parsed.allowed_ips, replicationFrom: parsed.replication_from ?? [] }) === onHost) return undefined;
  const file = `${desired.host}:${hostPgdata(desired.container.dataDir)}/pg_hba.conf`;
  return fileDiff(file, maskHbaSecrets(onHost), desired.hba);
}

export function diffAccess(desired: DesiredAddon, catalog: ObservedCatalog | null): Change[] {
  if (!catalog || catalog.hba === desired.hba) return []; // a new instance is created with its rules
  const parsed = parseRules(catalog.hba);
  const edits = handEdits(desired, catalog.hba ?? '', parsed); // a deleted file: everything is added back
  const replicas = (desired.readReplicas ?? []).map((r) => r.address);
  const after: AccessRules = { tls_forced: desired.tls.force, allowed_ips: desired.allowedIps, ...(replicas.length && { replication_from: replicas }) };
  // Same declared rules but another text: someone edited the file; reverting it is an access change too.
  const byHand = !parsed || (parsed.tls_forced === after.tls_forced && parsed.allowed_ips.join(',') === after.allowed_ips.join(',') &&
    (parsed.replication_from ?? []).join(',') === replicas.join(','));
  return [
    {
      address: `addon.${desired.name}.access`,
      kind: 'access',
      host: desired.host,
      addon: desired.name,
      action: 'update',
      reason: byHand ? 'pg_hba.conf was changed outside dbform' : 'pg_hba.conf rules differ from tls.force / allowedIps',
      before: byHand ? { pg_hba: 'edited by hand' } : (parsed as unknown as Attrs),
      after: after as unknown as Attrs,
      hazards: byHand
        ? [{ code: 'ACCESS_CHANGE', message: 'rules added to pg_hba.conf by hand are removed' }]
        : hazardsOf(parsed, after),
      steps: [{ type: 'hba.write', addon: desired.name, content: desired.hba, dataDir: desired.container.dataDir }],
      ...(edits ? { fileDiff: edits } : {}),
    },
  ];
}
