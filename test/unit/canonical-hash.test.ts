// canonicalSha256Hex hashes the canonical JSON without building it (plans and observed state of 1,000
// add-ons): it must give exactly the digest of the text canonicalJson builds, for any value they meet.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalSha256Hex, sha256Hex } from '../../src/util/canonical.js';

describe('canonicalSha256Hex', () => {
  it('is the SHA-256 of canonicalJson for any JSON-like value, undefined fields and holes included', () => {
    const leaf = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node')), fc.dictionary(fc.string(), tie('node'))),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value), (v) => {
        expect(canonicalSha256Hex(v)).toBe(sha256Hex(canonicalJson(v)));
      }),
      { numRuns: 2000 },
    );
    // 2,000 random nested values: about 2 s alone, several times that on a busy machine.
  }, 30_000);

  it('sorts keys at every depth, so the order fields were filled in does not matter', () => {
    expect(canonicalSha256Hex({ b: 1, a: { d: [1, { z: 0, y: 'x' }], c: null } })).toBe(canonicalSha256Hex({ a: { c: null, d: [1, { y: 'x', z: 0 }] }, b: 1 }));
    expect(canonicalSha256Hex({ a: 1 })).not.toBe(canonicalSha256Hex({ a: 2 }));
    // An object lists integer-like keys first: canonicalJson's text has "10" and "9" before "", "a".
    const mixed = { a: 1, '': 2, '10': 3, '9': 4 };
    expect(canonicalJson(mixed)).toBe('{"9":4,"10":3,"":2,"a":1}');
    expect(canonicalSha256Hex(mixed)).toBe(sha256Hex(canonicalJson(mixed)));
    // A plan file read back with JSON.parse can hold an own `__proto__` key: canonicalJson leaves it out.
    const parsed = JSON.parse('{"a":{"__proto__":{"x":1},"b":2}}') as unknown;
    expect(canonicalJson(parsed)).toBe('{"a":{"b":2}}');
    expect(canonicalSha256Hex(parsed)).toBe(sha256Hex(canonicalJson(parsed)));
  });

  it('hashes large strings across its chunks as the whole text (a plan step carrying a 240 kB program)', () => {
    const big = { steps: Array.from({ length: 5 }, (_, i) => ({ content: `${i}`.repeat(100_000), mode: '0755' })) };
    expect(canonicalSha256Hex(big)).toBe(sha256Hex(canonicalJson(big)));
  });
});
