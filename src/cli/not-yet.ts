import type { Config } from '../config/types.js';

// Settings the file format accepts (the SPEC defines them) but this version does not enforce yet.
// Saying so in every plan is the honest alternative to silently ignoring them.
export function notYetApplied(config: Config): string[] {
  const out: string[] = [];
  for (const a of config.addons) {
    if (a.plan.startsWith('postgresql-business-')) {
      out.push(`add-on ${a.name}: business plans run as a single instance in this version (no replica, no gateway yet)`);
    }
  }
  return out;
}
