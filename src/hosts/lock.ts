import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { Host } from './host.js';
import { shq } from '../util/shell.js';
import { UserError } from '../util/errors.js';

// The apply lock of a host: flock(1) on a file in /run/lock, held by a shell that lives exactly as long
// as dbform's end of its stdin (a pipe, or the SSH channel). A dbform that is killed closes it by dying,
// so no stale lock survives it; there is nothing to break by hand. `plan` never locks.

export interface LockHolder {
  user: string;
  machine: string;
  startedAt: string;
  runId: string;
}

export function currentHolder(): LockHolder {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): keep "unknown"
  }
  return { user, machine: hostname(), startedAt: new Date().toISOString(), runId: randomUUID().slice(0, 8) };
}

export interface HostLock {
  release(): Promise<void>;
}

const BUSY_EXIT = 75;

/** `name`: the lock file's name (without .lock); the host's apply lock is `dbform`. */
function lockScript(holder: LockHolder, timeoutSeconds: number, name: string): string {
  const wait = timeoutSeconds > 0 ? `-w ${Math.ceil(timeoutSeconds)}` : '-n';
  return [
    'd=/run/lock; [ -d "$d" ] || d=/tmp',
    `exec 9>>"$d/${name}.lock"`,
    `if ! flock ${wait} 9; then printf 'BUSY %s\\n' "$(cat "$d/${name}.holder" 2>/dev/null)"; exit ${BUSY_EXIT}; fi`,
    `printf '%s\\n' ${shq(JSON.stringify(holder))} > "$d/${name}.holder"`,
    'echo LOCKED',
    'cat >/dev/null',
  ].join('\n');
}

function describeHolder(json: string): string {
  try {
    const h = JSON.parse(json) as LockHolder;
    return `user ${h.user} on ${h.machine}, started ${h.startedAt}, run ${h.runId}`;
  } catch {
    return 'an unknown holder';
  }
}

/** Takes the flock `name` on the host, or says who holds it (`busy`). */
async function holdLock(host: Host, holder: LockHolder, timeoutSeconds: number, name: string, what: string): Promise<HostLock | { busy: string }> {
  const held = host.hold(lockScript(holder, timeoutSeconds, name));
  const first = await held.firstLine;
  if ('line' in first && first.line === 'LOCKED') return { release: () => held.release() };
  await held.release().catch(() => undefined);
  const text = 'line' in first ? first.line : first.output.trim();
  if (text.startsWith('BUSY')) return { busy: describeHolder(text.slice(5)) };
  throw new UserError(`host ${host.name}: cannot take the ${what}: ${text || 'flock failed'}`);
}

export async function acquireHostLock(host: Host, holder: LockHolder, timeoutSeconds: number): Promise<HostLock> {
  const lock = await holdLock(host, holder, timeoutSeconds, 'dbform', 'apply lock');
  if ('release' in lock) return lock;
  const waited = timeoutSeconds > 0 ? ` after waiting ${timeoutSeconds} s` : '';
  throw new UserError(
    `host ${host.name} is locked by another apply${waited}: ${lock.busy}. Wait for it to finish, or pass --lock-timeout SECONDS to wait.`,
  );
}

/** The drill lock of one add-on: two drills of it never run at once (a drill does not take the apply lock:
 *  it never touches the add-on). */
export async function acquireDrillLock(host: Host, addon: string, holder: LockHolder): Promise<HostLock> {
  const lock = await holdLock(host, holder, 0, `dbform-drill-${addon}`, `drill lock of ${addon}`);
  if ('release' in lock) return lock;
  throw new UserError(`a drill of ${addon} is already running on host ${host.name}: ${lock.busy}. Wait for it to finish`);
}
