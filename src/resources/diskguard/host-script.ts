import { readFileSync } from 'node:fs';

// The program cron runs every minute for each add-on: host/dbform-diskguard.sh (POSIX sh, no secret).
// `dbform apply` installs it at DATADIR/.bin/dbform-diskguard and keeps it at this exact content.
export const GUARD_SCRIPT = readFileSync(new URL('../../../host/dbform-diskguard.sh', import.meta.url), 'utf8');
