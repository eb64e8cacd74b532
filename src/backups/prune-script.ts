import { readFileSync } from 'node:fs';

// Retention as cron runs it on a host after each backup: host/dbform-prune.pl, installed by apply next
// to the backup program. It applies the same rules as retention.ts (a property test holds them equal).
export const PRUNE_SCRIPT = readFileSync(new URL('../../host/dbform-prune.pl', import.meta.url), 'utf8');
