import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { pitrCronPath, renderPitrFiles } from '../../src/resources/pitr/settings.js';

// The weekly full base backup's cron file, run as cron would over three weeks around a daylight-saving change:
// each job line under /bin/sh at each UTC minute it names, with `date` answering for that instant and `docker`
// recording the call. The full backup must run exactly once per week, on the local Sunday.

const MINUTE = 60_000;

function cronFile(dataDir: string, scheduleAt: string): string {
  const config = loadConfig('databases.yaml', `version: 1
hosts:
  db-1:
    transport: local
    dataDir: ${dataDir}
storage:
  main:
    type: local
    path: ${dataDir}/backups
defaults:
  timezone: Europe/Paris
addons:
  shop:
    plan: postgresql-starter-256
    encryptionAtRest: false # the test fleet (network namespaces) has no device-mapper for LUKS
    port: 31001
    backups:
      scheduleAt: "${scheduleAt}"
      pitr: true
`);
  return renderPitrFiles(config, config.addons[0]!, config.hosts[0]!).files[pitrCronPath('shop')]!.content;
}

function runCron(content: string, dir: string, from: number, to: number): { at: number; args: string }[] {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'date'), '#!/bin/sh\nexec /bin/date -d "@$FAKE_EPOCH" "$@"\n');
  writeFileSync(join(bin, 'docker'), `#!/bin/sh\necho "$FAKE_EPOCH $*" >> '${dir}/docker-calls'\n`);
  chmodSync(join(bin, 'date'), 0o755);
  chmodSync(join(bin, 'docker'), 0o755);
  const jobs = content.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const [min, hours, , , , , ...command] = l.split(' ');
    return { minute: Number(min), hours: hours!.split(',').map(Number), command: command.join(' ').replace(/\\%/g, '%') };
  });
  for (let ms = from; ms < to; ms += MINUTE) {
    const t = new Date(ms);
    for (const job of jobs) {
      if (job.minute !== t.getUTCMinutes() || !job.hours.includes(t.getUTCHours())) continue;
      execFileSync('/bin/sh', ['-c', job.command], { env: { PATH: `${bin}:/usr/bin:/bin`, FAKE_EPOCH: String(ms / 1000) } });
    }
  }
  const calls = join(dir, 'docker-calls');
  if (!existsSync(calls)) return [];
  return readFileSync(calls, 'utf8').trim().split('\n').map((l) => ({ at: Number(l.slice(0, l.indexOf(' '))) * 1000, args: l.slice(l.indexOf(' ') + 1) }));
}

describe('PITR: the weekly full base backup under /bin/sh', () => {
  for (const [scheduleAt, from, expected] of [
    // 02:30 (= 02:00 + 30 min) does not exist on 2026-03-29 in Paris: that Sunday's full runs at 03:00.
    ['02:00', '2026-03-13', ['2026-03-15T02:30', '2026-03-22T02:30', '2026-03-29T03:00']],
    // 02:30 happens twice on 2026-10-25: the full runs at the first one only.
    ['02:00', '2026-10-16', ['2026-10-18T02:30', '2026-10-25T02:30', '2026-11-01T02:30']],
    // 23:45 + 30 min is 00:15 the next local day: Sunday's, not Saturday's.
    ['23:45', '2026-06-05', ['2026-06-07T00:15', '2026-06-14T00:15', '2026-06-21T00:15']],
  ] as const) {
    it(`scheduleAt ${scheduleAt} Europe/Paris, from ${from}: Sundays only`, { timeout: 60_000 }, () => {
      const dir = mkdtempSync(join(tmpdir(), 'dbform-pitr-cron-'));
      try {
        const start = DateTime.fromISO(from, { zone: 'Europe/Paris' }).toMillis();
        const calls = runCron(cronFile(dir, scheduleAt), dir, start, start + 21 * 24 * 60 * MINUTE);
        expect(calls.map((c) => DateTime.fromMillis(c.at, { zone: 'Europe/Paris' }).toFormat("yyyy-MM-dd'T'HH:mm"))).toEqual(expected);
        for (const c of calls) expect(c.args).toBe('exec -u postgres dbform-shop pgbackrest --stanza=shop --type=full backup');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
