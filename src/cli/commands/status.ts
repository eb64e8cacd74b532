import { setTimeout as sleep } from 'node:timers/promises';
import { collectStatus } from '../../status/collect.js';
import type { FleetStatus } from '../../status/model.js';
import { statusText } from '../../status/text.js';
import { err, out } from '../terminal.js';
import { openSession } from '../session.js';

// `dbform status [ADDON] [--format text|json] [--watch SECONDS]`: one sample of the fleet's figures (see
// src/status/), printed as text or as the JSON the dashboard's API serves. --watch samples again every
// SECONDS until interrupted, over the same SSH connections; drift (a full gather) is checked at most once a
// minute. Never a host lock, never a write to a host.

export interface StatusOptions {
  file: string;
  addon?: string;
  format: 'text' | 'json';
  watchSeconds?: number;
}

const DRIFT_EVERY_MS = 60_000;

function exitCode(s: FleetStatus): number {
  return Object.keys(s.hostErrors).length || s.addons.some((a) => a.errors.length) ? 1 : 0;
}

export async function statusCommand(opts: StatusOptions): Promise<number> {
  const session = await openSession(opts.file, (m) => err(`Warning: ${m}`), undefined, 'read');
  const zone = session.config.defaults.timezone;
  const print = (s: FleetStatus, clear: boolean) => {
    if (opts.format === 'json') out(JSON.stringify(s, null, opts.watchSeconds === undefined ? 2 : undefined));
    else out((clear ? '\x1b[2J\x1b[H' : '') + statusText(s, zone));
  };
  try {
    let s = await collectStatus(session, { addon: opts.addon, drift: true });
    print(s, false);
    if (opts.watchSeconds === undefined) return exitCode(s);
    let driftAt = Date.now();
    // Ctrl-C ends the wait at once; the SSH connections are then closed below.
    const interrupted = new AbortController();
    process.once('SIGINT', () => interrupted.abort());
    while (!interrupted.signal.aborted) {
      const slept = await sleep(opts.watchSeconds * 1000, true, { signal: interrupted.signal }).catch(() => false);
      if (!slept) break;
      const drift = Date.now() - driftAt >= DRIFT_EVERY_MS;
      const next = await collectStatus(session, { addon: opts.addon, drift });
      if (drift) driftAt = Date.now();
      else for (const a of next.addons) a.drift = s.addons.find((p) => p.addon === a.addon)?.drift ?? null;
      s = next;
      print(s, process.stdout.isTTY === true);
    }
    return 0;
  } finally {
    await session.close();
  }
}
