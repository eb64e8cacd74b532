import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

// The program cron runs on a database host for each backup (and `dbform backups create` through SSH):
// host/dbform-backup.sh. `dbform apply` installs it at DATADIR/.bin/dbform-backup and keeps it at this
// exact content: the plan shows a change whenever the installed copy differs. It needs only bash,
// docker and the add-on's image (pg_dump, age, rclone, node): the dump streams from pg_dump through age
// (encrypted on the host to the add-on's public key) to the storage, never whole in memory or on disk.
// Manifests and retention are its JavaScript half's (host-program.ts), dbform's own code.
export const HOST_SCRIPT = readFileSync(new URL('../../../host/dbform-backup.sh', import.meta.url), 'utf8');
export const HOST_SCRIPT_SHA256 = createHash('sha256').update(HOST_SCRIPT).digest('hex');
