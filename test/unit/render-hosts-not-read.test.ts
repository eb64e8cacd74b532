import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/types.js';
import { renderJson, renderMarkdown, renderText } from '../../src/render/index.js';

// A plan that could not read a host must never claim that "the live state matches" the file.
function plan(hostsNotRead: Plan['hostsNotRead']): Plan {
  return {
    formatVersion: 1,
    config: { file: 'databases.yaml', sha256: 'abc' },
    observedFingerprint: 'fp',
    changes: [],
    warnings: hostsNotRead.map((h) => `host ${h.host} is left out of this plan: ${h.reason}`),
    hostsNotRead,
    instances: {},
  };
}

const twoDown = plan([
  { host: 'db-1', reason: 'cannot connect to 10.77.0.11:22: connect ECONNREFUSED' },
  { host: 'db-3', reason: 'cannot connect to 10.77.0.13:22: connect EHOSTUNREACH' },
]);

describe('a plan without changes', () => {
  it('says the live state matches only when every host was read', () => {
    expect(renderText(plan([]), { color: false })).toContain('No changes. The live state matches databases.yaml.');
    expect(renderMarkdown(plan([]))).toContain('**No changes.** The live state matches databases.yaml.');
    expect(JSON.parse(renderJson(plan([]))).hosts_not_read).toEqual([]);
  });

  it('names the hosts that were not read, in every rendering', () => {
    const text = renderText(twoDown, { color: false });
    expect(text).not.toContain('live state matches');
    expect(text.trimEnd().split('\n').at(-1)).toBe('No changes on the hosts that were read; 2 hosts were not read (db-1, db-3: see above).');
    const md = renderMarkdown(twoDown);
    expect(md).not.toContain('live state matches');
    expect(md).toContain('**No changes on the hosts that were read;** 2 hosts were not read (db-1, db-3: see above).');
    expect(JSON.parse(renderJson(twoDown)).hosts_not_read).toEqual([
      { host: 'db-1', reason: 'cannot connect to 10.77.0.11:22: connect ECONNREFUSED' },
      { host: 'db-3', reason: 'cannot connect to 10.77.0.13:22: connect EHOSTUNREACH' },
    ]);
  });

  it('says "host was" for one host', () => {
    const one = plan([{ host: 'db-2', reason: 'timed out' }]);
    expect(renderText(one, { color: false })).toContain('1 host was not read (db-2: see above).');
  });
});
