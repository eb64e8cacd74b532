// Preloaded (NODE_OPTIONS=--import, test/integration/harness.ts) into every CLI the integration tests run: resolves the test fleet's S3 endpoint
// name, s3.fleet, as every fleet host's /etc/hosts does. This machine has no such entry and the tests do not
// edit its /etc/hosts; pgBackRest (2.45) on the hosts needs the endpoint by name, so the config names it.
// Which fleet: the one in DBFORM_FLEET_STATE (the suite's second lane has a fleet of its own, on another subnet).
import dns from 'node:dns';
import { readFileSync } from 'node:fs';

let s3Address;
function resolveName(hostname) {
  if (hostname !== 's3.fleet') return undefined;
  s3Address ??= JSON.parse(readFileSync(`${process.env.DBFORM_FLEET_STATE ?? '/fleet-state'}/fleet.json`, 'utf8')).s3.address;
  return s3Address;
}
const lookup = dns.lookup;
dns.lookup = function (hostname, options, callback, ...rest) {
  const address = resolveName(hostname);
  if (!address) return lookup.call(this, hostname, options, callback, ...rest);
  const cb = typeof options === 'function' ? options : callback;
  const all = typeof options === 'object' && options !== null && options.all;
  process.nextTick(() => (all ? cb(null, [{ address, family: 4 }]) : cb(null, address, 4)));
  return {};
};
