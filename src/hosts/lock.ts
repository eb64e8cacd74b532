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

function lockScript(holder: LockHolder, timeoutSeconds: number): string {
  const wait = timeoutSeconds > 0 ? `-w ${Math.ceil(timeoutSeconds)}` : '-n';
  return [
    'd=/run/lock; [ -d "$d" ] || d=/tmp',
    'exec 9>>"$d/dbform.lock"',
    `if ! flock ${wait} 9; then printf 'BUSY %s\\n' "$(cat "$d/dbform.holder" 2>/dev/null)"; exit ${BUSY_EXIT}; fi`,
    `printf '%s\\n' ${shq(JSON.stringify(holder))} > "$d/dbform.holder"`,
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

export async function acquireHostLock(host: Host, holder: LockHolder, timeoutSeconds: number): Promise<HostLock> {
  const held = host.hold(lockScript(holder, timeoutSeconds));
  const first = await held.firstLine;
  if ('line' in first && first.line === 'LOCKED') return { release: () => held.release() };
  await held.release().catch(() => undefined);
  const text = 'line' in first ? first.line : first.output.trim();
  if (text.startsWith('BUSY')) {
    const waited = timeoutSeconds > 0 ? ` after waiting ${timeoutSeconds} s` : '';
    throw new UserError(
      `host ${host.name} is locked by another apply${waited}: ${describeHolder(text.slice(5))}. ` +
        `Wait for it to finish, or pass --lock-timeout SECONDS to wait.`,
    );
  }
  throw new UserError(`host ${host.name}: cannot take the apply lock: ${text || 'flock failed'}`);
}
