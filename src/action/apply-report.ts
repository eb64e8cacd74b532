// What apply on merge says about a result of applyFleet: the outcome the pull-request comment shows and,
// when the step fails, why. Built from the result's data, in the action's words (its inputs, not the
// CLI's flags). Pure.

import { hazardRefusalMessage } from '../apply/gate.js';
import type { ApplyRefusal, ApplyResult } from '../apply/result.js';
import { applyLog, applyVerdict, deferredLines, hostSummaryLines } from '../render/apply-text.js';
import type { ApplyOutcome } from './apply-comment.js';

export interface ApplyReport {
  outcome: ApplyOutcome;
  /** Why the step fails; undefined when it succeeds. */
  failure?: string;
}

/** `reviewed`: the fingerprint of the plan the pull request's comment showed. */
export function applyReport(result: ApplyResult, reviewed: string): ApplyReport {
  switch (result.status) {
    case 'refused':
      return refusalReport(result.refusal, result.plan);
    case 'cancelled':
      return { outcome: { kind: 'refused', reason: 'The apply was cancelled.' }, failure: 'Apply cancelled.' };
    case 'no-changes': {
      if (!result.hostErrors.size) {
        const summary = `No changes. The live state matches ${result.plan.config.file}.`;
        return { outcome: { kind: 'applied', summary, log: `${summary}\n`, fingerprint: reviewed } };
      }
      // Nothing is known of a host that was not read: no claim that it matches.
      const summary = `No changes on the hosts that were read; not read: ${[...result.hostErrors.keys()].sort().join(', ')}.`;
      const log = [summary, ...hostSummaryLines({ hosts: [], hostErrors: result.hostErrors })].join('\n') + '\n';
      return { outcome: { kind: 'failed', summary, log, fingerprint: reviewed }, failure: summary };
    }
    default: {
      const summary = applyVerdict(result);
      const deferred = deferredLines(result);
      const outcome: ApplyOutcome = { kind: result.status, summary, log: applyLog(result), fingerprint: reviewed, ...(deferred.length && { deferred }) };
      return { outcome, failure: result.status === 'failed' ? summary : undefined };
    }
  }
}

function refusalReport(refusal: ApplyRefusal, plan: ApplyResult['plan']): ApplyReport {
  switch (refusal.reason) {
    case 'not-reviewed': {
      const reason =
        `The plan is not the one this pull request showed: fingerprint ${refusal.expected} was reviewed, the plan is now ${refusal.actual}. ` +
        'The file or the live state changed after the plan comment was posted.';
      return { outcome: { kind: 'refused', reason, currentPlan: plan }, failure: `Apply refused. ${reason}` };
    }
    case 'hazards': {
      const input = `set the action's input \`allow-hazards: ${refusal.allowWith.join(',')}\` in the apply workflow`;
      const changes = refusal.hazards.map((h) => `${h.address} (${h.code}: ${h.message})`).join('; ');
      const reason = `The plan has hazardous changes that were not allowed: ${changes}. To apply them, ${input} and re-run this job.`;
      return { outcome: { kind: 'refused', reason }, failure: hazardRefusalMessage(refusal.hazards, input) };
    }
    default:
      // Only a saved plan can be stale, and apply on merge never applies one.
      return { outcome: { kind: 'refused', reason: `The plan is stale (${refusal.reason}).` }, failure: `Apply refused: the plan is stale (${refusal.reason}).` };
  }
}
