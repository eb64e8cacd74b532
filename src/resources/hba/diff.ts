import { fileDiff } from '../../plan/file-diff.js';
import type { Attrs, Change, FileDiff, Hazard } from '../../plan/types.js';
import { hostPgdata } from '../data-files.js';
import type { DesiredAddon, ObservedCatalog } from '../model.js';
import { maskHbaSecrets, renderHba } from './hba.js';

// Pure: pg_hba.conf is exactly what dbform renders from tls.force and allowedIps. Any difference is
// an access change (who may connect, and how), flagged as such. A file edited by hand (one dbform's
// renderer would not produce from any rules) comes with a diff of what apply will undo.

interface AccessRules {
  tls_forced: boolean;
  allowed_ips: string[];
}

/** Reads back the client rules of a pg_hba.conf dbform wrote (null for a file it did not write). */
export function parseRules(hba: string | null): AccessRules | null {
  if (!hba?.startsWith('# managed by dbform')) return null;
  const rules = hba
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => (f[0] === 'host' || f[0] === 'hostssl') && f[1] === 'all' && f[2] === 'all' && f[4] === 'scram-sha-256');
  const ranges = rules.map((f) => f[3]!);
  const allowed = ranges.join(',') === '0.0.0.0/0,::/0' ? [] : ranges;
  return { tls_forced: rules.length > 0 && rules.every((f) => f[0] === 'hostssl'), allowed_ips: allowed };
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
  if (parsed && renderHba({ force: parsed.tls_forced, allowedIps: parsed.allowed_ips }) === onHost) return undefined;
  const file = `${desired.host}:${hostPgdata(desired.container.dataDir)}/pg_hba.conf`;
  return fileDiff(file, maskHbaSecrets(onHost), desired.hba);
}

export function diffAccess(desired: DesiredAddon, catalog: ObservedCatalog | null): Change[] {
  if (!catalog || catalog.hba === desired.hba) return []; // a new instance is created with its rules
  const parsed = parseRules(catalog.hba);
  const edits = handEdits(desired, catalog.hba ?? '', parsed); // a deleted file: everything is added back
  const after: AccessRules = { tls_forced: desired.tls.force, allowed_ips: desired.allowedIps };
  // Same declared rules but another text: someone edited the file; reverting it is an access change too.
  const byHand = !parsed || (parsed.tls_forced === after.tls_forced && parsed.allowed_ips.join(',') === after.allowed_ips.join(','));
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
