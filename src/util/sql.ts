import pg from 'pg';

// Identifier and literal quoting, in one place, by the driver's own escaping: every role, database and
// comment dbform writes into SQL goes through these, so any name a user can type is literal data.
const escaper = new pg.Client();

export function ident(name: string): string {
  return escaper.escapeIdentifier(name);
}

export function literal(value: string): string {
  return escaper.escapeLiteral(value);
}
