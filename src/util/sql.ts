import pgUtils from 'pg/lib/utils.js';

// Identifier and literal quoting, in one place, by the driver's own escaping: every role, database and
// comment dbform writes into SQL goes through these, so any name a user can type is literal data. Taken from
// the driver's utils module, not its index: the index loads the whole driver (about 40 ms), which commands
// that connect load later, while they wait for a host (hosts/ssh.ts, hosts/local.ts).

export function ident(name: string): string {
  return pgUtils.escapeIdentifier(name);
}

export function literal(value: string): string {
  return pgUtils.escapeLiteral(value);
}
