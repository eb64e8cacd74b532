import pLimit, { type LimitFunction } from 'p-limit';

// sshd caps the session channels (exec, shell, subsystem) open at once on one connection: `MaxSessions`,
// 10 on a stock server. Past it the server refuses the channel ("Channel open failure: open failed") and
// the whole host would drop out of the run. dbform therefore queues its commands behind a bounded number of
// open sessions per connection. SQL goes through direct-tcpip channels, which MaxSessions does not count.

/** Below the stock MaxSessions of 10, leaving room for a session the server is still tearing down. */
export const DEFAULT_SESSION_LIMIT = 8;

/** A session channel whose open was refused by the server: the only failure worth retrying. */
export function isChannelRefused(err: Error): boolean {
  return /Channel open failure/i.test(err.message);
}

/**
 * Runs `open` (which opens one session channel and resolves when it is closed) with at most `limit`
 * sessions open. A server configured below our limit refuses a channel while others are open: the limit
 * then shrinks to what the server accepted and the refused session waits for a free slot.
 */
export class SessionSlots {
  private readonly limit: LimitFunction;

  constructor(limit = DEFAULT_SESSION_LIMIT) {
    this.limit = pLimit(limit);
  }

  get concurrency(): number {
    return this.limit.concurrency;
  }

  run<T>(open: () => Promise<T>): Promise<T> {
    return this.limit(async () => {
      try {
        return { ok: true as const, value: await open() };
      } catch (err) {
        // activeCount includes this session: the others are what the server accepted.
        const others = this.limit.activeCount - 1;
        if (!(err instanceof Error) || !isChannelRefused(err) || others < 1) throw err;
        this.limit.concurrency = Math.min(this.limit.concurrency, others);
        return { ok: false as const };
      }
    }).then((r) => (r.ok ? r.value : this.run(open)));
  }
}
