#!/usr/bin/env node
// Where a first apply's time went, by kind of change: reads `dbform apply` output (NO_COLOR) on stdin, sums
// the per-change times it prints ("ADDRESS: done (1.2s)") by the kind in the address (addon.NAME.KIND[.ITEM]:
// container, user, database, grants, ...), and prints each kind's share of the total. Add-ons run concurrently (several per host, the
// hosts at once), so these are change-seconds, not wall time: the shares say what the apply is bound by.
//   dbform apply --auto-approve | node bench/apply-share.mjs
import { readFileSync } from 'node:fs';

const byKind = new Map();
for (const m of readFileSync(0, 'utf8').matchAll(/^(\S+): done \((\d+(?:\.\d+)?)s\)$/gm)) {
  const kind = m[1].split('.')[2] ?? m[1];
  const k = byKind.get(kind) ?? { n: 0, s: 0 };
  k.n++;
  k.s += Number(m[2]);
  byKind.set(kind, k);
}
const total = [...byKind.values()].reduce((a, k) => a + k.s, 0);
const parts = [...byKind].sort((a, b) => b[1].s - a[1].s).map(([kind, k]) => `${kind} ${k.s.toFixed(1)} s (${k.n}, ${((100 * k.s) / total).toFixed(0)} %)`);
console.log(`  change-seconds by kind: ${total.toFixed(1)} s in all; ${parts.join(', ')}`);
