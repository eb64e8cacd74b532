import { IANAZone } from 'luxon';

// luxon's IANAZone.isValidZone builds an Intl.DateTimeFormat at every call (about 0.1 ms); a config of
// 1,000 add-ons asks about the same one or two zones thousands of times (validation, every backup schedule).

const known = new Map<string, boolean>();

/** True for UTC and the IANA names this Node.js knows (Europe/Paris), as IANAZone.isValidZone says. */
export function isKnownZone(zone: string): boolean {
  let valid = known.get(zone);
  if (valid === undefined) known.set(zone, (valid = IANAZone.isValidZone(zone)));
  return valid;
}
