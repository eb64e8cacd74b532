import { test } from 'vitest';
import { cronEntries, firingsForDay } from '../../src/backups/schedule.js';
test('x', () => {
  const t0 = performance.now();
  for (const [h, m, z] of [[3,0,'Europe/Paris'],[2,30,'Europe/Paris'],[2,30,'America/New_York'],[0,30,'Australia/Lord_Howe'], [0,30,'America/Santiago']] as const) {
    const e = cronEntries({hour: h, minute: m}, z, { command: 'echo 100% > /tmp/x', addon: 'app' });
    console.log(e.join('\n'));
    for (const d of ['2026-03-29','2026-03-08','2026-10-25','2026-11-01','2026-07-01', '2026-09-06', '2026-04-05'])
      console.log(z, d, firingsForDay(e, d, z).map(x=>x.toISO()));
  }
  console.log(performance.now()-t0);
});
