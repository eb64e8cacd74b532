// Telling a pull request's changes from drift, and the markers the action finds its bodies by.

import { describe, expect, it } from 'vitest';
import { fitToLimit } from '../../src/action/fit.js';
import { hasMarker, marker, readFingerprint } from '../../src/action/markers.js';
import { splitChanges } from '../../src/action/split.js';
import type { Change, Plan } from '../../src/plan/types.js';

function change(address: string, action: Change['action'], after: Change['after'], reason = 'why'): Change {
  return { address, kind: 'user', host: 'db-1', addon: 'shop', action, reason, before: null, after, hazards: [], steps: [] };
}

function plan(changes: Change[]): Plan {
  return { formatVersion: 1, config: { file: 'databases.yaml', sha256: 'x' }, observedFingerprint: 'o', changes, warnings: [], hostsNotRead: [], instances: {} };
}

describe('splitChanges', () => {
  const drift = change('addon.shop.user.a', 'update', { superuser: false, login: true });
  const mine = change('addon.shop.user.b', 'create', { access: 'read-only' });

  it('puts changes in both plans under drift and the others under the pull request', () => {
    const s = splitChanges(plan([drift, mine]), { kind: 'plan', plan: plan([drift]) });
    expect(s.pr.map((c) => c.address)).toEqual(['addon.shop.user.b']);
    expect(s.drift.map((c) => c.address)).toEqual(['addon.shop.user.a']);
    expect(s.resolved).toEqual([]);
  });

  it('compares address, action and target attributes, whatever their key order or reason text', () => {
    const sameTarget = { ...drift, after: { login: true, superuser: false }, reason: 'said differently' };
    expect(splitChanges(plan([sameTarget]), { kind: 'plan', plan: plan([drift]) }).drift).toHaveLength(1);
    // The pull request changes a resource that has also drifted: the change it brings is its own.
    const edited = { ...drift, after: { superuser: false, login: false } };
    expect(splitChanges(plan([edited]), { kind: 'plan', plan: plan([drift]) }).pr).toEqual([edited]);
    const otherAction = { ...drift, action: 'replace' as const };
    expect(splitChanges(plan([otherAction]), { kind: 'plan', plan: plan([drift]) }).pr).toEqual([otherAction]);
  });

  it('lists base differences the head plan no longer has as accepted by the pull request', () => {
    const s = splitChanges(plan([mine]), { kind: 'plan', plan: plan([drift]) });
    expect(s.resolved).toEqual([drift]);
    expect(s.drift).toEqual([]);
  });

  it('counts everything as the pull request\'s when the base is new or unknown', () => {
    for (const base of [{ kind: 'new-file' as const }, { kind: 'unavailable' as const, reason: 'r' }]) {
      expect(splitChanges(plan([drift, mine]), base)).toEqual({ pr: [drift, mine], drift: [], resolved: [] });
    }
  });
});

describe('markers', () => {
  it('match on the first line only, for the same config path however it is written', () => {
    const body = `${marker('plan', './infra/databases.yaml')}\n<!-- dbform:fingerprint:0123456789abcdef -->\nrest`;
    expect(hasMarker(body, 'plan', 'infra/databases.yaml')).toBe(true);
    expect(hasMarker(body, 'apply', 'infra/databases.yaml')).toBe(false);
    expect(hasMarker(`text\n${body}`, 'plan', 'infra/databases.yaml')).toBe(false);
    expect(hasMarker(null, 'plan', 'infra/databases.yaml')).toBe(false);
    expect(readFingerprint(body)).toBe('0123456789abcdef');
    const crlf = body.replaceAll('\n', '\r\n');
    expect(hasMarker(crlf, 'plan', 'infra/databases.yaml')).toBe(true);
    expect(readFingerprint(crlf)).toBe('0123456789abcdef');
  });

  it('cannot be closed early by a config path', () => {
    expect(marker('plan', 'a-->b.yaml')).toBe('<!-- dbform:plan:a--%3Eb.yaml -->');
  });

  it('read a fingerprint only from the line right after the marker', () => {
    expect(readFingerprint(`${marker('plan', 'd.yaml')}\n### title\n<!-- dbform:fingerprint:0123456789abcdef -->`)).toBeUndefined();
    expect(readFingerprint(`${marker('plan', 'd.yaml')}\n<!-- dbform:fingerprint:not-hex -->`)).toBeUndefined();
  });
});

describe('fitToLimit', () => {
  // Two sections of 10-character items behind a 5-character header.
  const render = (shown: number[]) => 'head:' + 'a'.repeat(10 * shown[0]!) + 'b'.repeat(10 * shown[1]!);

  it('leaves a document that fits alone', () => {
    expect(fitToLimit(render, [3, 3], [0, 1], 100)).toEqual({ text: render([3, 3]), shown: [3, 3] });
  });

  it('cuts the first section only as far as needed', () => {
    expect(fitToLimit(render, [5, 3], [0, 1], 65).shown).toEqual([3, 3]);
  });

  it('moves on to the next section when the first one is gone', () => {
    expect(fitToLimit(render, [5, 3], [0, 1], 25).shown).toEqual([0, 2]);
  });

  it('cuts hard, and says so, when nothing else is left', () => {
    const fitted = fitToLimit(() => 'x'.repeat(500), [0], [0], 100);
    expect(fitted.text.length).toBeLessThanOrEqual(100);
    expect(fitted.text).toContain('cut at the size limit');
  });
});
