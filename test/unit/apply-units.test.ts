import { describe, expect, it } from 'vitest';
import { transactionUnits } from '../../src/apply/apply.js';
import type { Change } from '../../src/plan/types.js';

const change = (address: string, kind: string): Change => ({
  address, kind, host: 'local', addon: 'shop', action: 'update', reason: '', before: null, after: null, hazards: [], steps: [],
});

describe('transaction units', () => {
  it('puts the consecutive grants changes of an add-on in one transaction, every other change alone', () => {
    const plan = [
      change('addon.shop.user.a', 'user'),
      change('addon.shop.database', 'database'),
      change('addon.shop.grants.a', 'grants'),
      change('addon.shop.grants.b', 'grants'),
      change('addon.shop.grants.c', 'grants'),
      change('addon.shop.tls', 'tls'),
    ];
    expect(transactionUnits(plan).map((u) => u.map((c) => c.address))).toEqual([
      ['addon.shop.user.a'],
      ['addon.shop.database'],
      ['addon.shop.grants.a', 'addon.shop.grants.b', 'addon.shop.grants.c'],
      ['addon.shop.tls'],
    ]);
  });
});
