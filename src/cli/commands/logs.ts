import { createInterface } from 'node:readline';
import { loadConfig } from '../../config/load.js';
import { openHost } from '../../hosts/open.js';
import { instanceLabel, instanceOn, instancePgdata } from '../../status/instance-on.js';
import { LOG_DIRECTORY, LOG_FILES } from '../../resources/container/log-settings.js';
import { formatEntry, keep, maskSecrets, parseLogLine, type LogFilter } from '../../logs/jsonlog.js';
import { UserError } from '../../util/errors.js';
import { shq } from '../../util/shell.js';
import { err, out } from '../terminal.js';

// `dbform logs ADDON [--host HOST]`: the add-on's PostgreSQL log (jsonlog files in pgdata/log), read through
// its host in one command: the files written to within --since, oldest first, then (--follow) `tail -F` on
// every hour's file name, so the stream carries on across rotations. Lines are filtered and printed here.
// Each server logs into its own data directory: a cluster's first host's member is read by default, --host
// reads the member or the read replica on that host.

export interface LogsOptions {
  file: string;
  addon: string;
  sinceSeconds: number;
  follow: boolean;
  slow: boolean;
  /** A cluster member's or read replica's host. */
  host?: string;
}

/** The shell command that prints the log files of `dir` touched in the last `minutes`, and follows them. */
export function logCommand(dir: string, minutes: number, follow: boolean): string {
  const recent = `find . -maxdepth 1 -name 'postgresql-*.json' -mmin -${minutes} -printf '%T@ %f\\n' | sort -n | cut -d' ' -f2-`;
  const print = `for f in $(${recent}); do cat -- "$f"; done`;
  // -n 0: only what is written from now on; -F: by name, through truncation at each hour's rotation.
  // tail would outlive dbform (it only notices a closed output when it writes, and a quiet log may not be
  // written for hours): a heartbeat writes an empty line every 2 s, dies of SIGPIPE once nobody reads, and
  // tail follows it out (--pid). The heartbeat is started from a command substitution, so that it is not
  // tail's child: tail would never reap it, and a zombie counts as alive. The empty lines are not printed.
  const heartbeat = 'exec 3>&1; hb=$( (while sleep 2; do echo || exit; done) >&3 3>&- & echo $! ); exec 3>&-';
  const tail = follow ? `; ${heartbeat}; exec tail -q -n 0 -F --pid="$hb" ${LOG_FILES.join(' ')} 2>/dev/null` : '';
  return `cd ${shq(dir)} || exit 3; ${print}${tail}`;
}

export async function logsCommand(opts: LogsOptions): Promise<number> {
  const config = loadConfig(opts.file);
  const addon = config.addons.find((a) => a.name === opts.addon);
  if (!addon) throw new UserError(`no add-on named ${opts.addon} in ${opts.file}`);
  const instance = instanceOn(addon, opts.host);
  const hostConfig = config.hosts.find((h) => h.name === instance.host)!;
  const dir = `${instancePgdata(config, addon, instance)}/${LOG_DIRECTORY}`;
  const filter: LogFilter = {
    since: new Date(Date.now() - opts.sinceSeconds * 1000),
    ...(opts.slow && { slowerThanMs: addon.logs.slowQueryMs }),
  };
  const host = await openHost(hostConfig);
  try {
    const { stdout, done } = host.stream(logCommand(dir, Math.ceil(opts.sinceSeconds / 60) + 1, opts.follow));
    for await (const line of createInterface({ input: stdout, crlfDelay: Infinity })) {
      const entry = parseLogLine(line);
      if (entry && keep(entry, filter)) out(formatEntry(entry));
      else if (!entry && line.trim() && !opts.slow) out(maskSecrets(line));
    }
    const { code, stderr } = await done;
    if (code === 3) throw new UserError(`${instanceLabel(addon, instance)} has no log on host ${instance.host} yet (${dir}): run dbform apply first`);
    if (code !== 0 && !opts.follow) err(`Warning: reading the log on host ${instance.host} ended with exit ${code}: ${maskSecrets(stderr.trim())}`);
    return 0;
  } finally {
    await host.close();
  }
}
