#!/usr/bin/env node
// Prints the benchmarks' SSH fleet config: N sandbox add-ons (users `reader` read-only and `writer`
// read-write) spread round-robin over the hosts of a test fleet's fleet.json.
//   node bench/fleet-config.mjs FLEET_JSON N > databases.yaml
import { readFileSync } from 'node:fs';

const fleet = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const n = Number(process.argv[3]);
let y = 'version: 1\nhosts:\n';
for (const h of fleet.hosts) y += `  ${h.name}:\n    address: ${h.address}\n    user: root\n    hostKey: ${h.hostKey}\n    identityFile: ${fleet.identityFile}\n`;
y += 'addons:\n';
for (let i = 0; i < n; i++) {
  const host = fleet.hosts[i % fleet.hosts.length].name;
  const port = 31001 + Math.floor(i / fleet.hosts.length);
  y += `  bench-${String(i + 1).padStart(2, '0')}:\n    plan: postgresql-sandbox\n    host: ${host}\n    port: ${port}\n    users:\n      reader:\n        access: read-only\n      writer:\n        access: read-write\n`;
}
process.stdout.write(y);
