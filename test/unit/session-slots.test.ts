import { describe, expect, it } from 'vitest';
import { SessionSlots } from '../../src/hosts/session-slots.js';

// The queueing of SSH session channels, with a server modelled as a counter of open sessions that refuses
// past its MaxSessions exactly as sshd does (the error text ssh2 gives).
function server(maxSessions: number) {
  let open = 0;
  let peak = 0;
  let refused = 0;
  const session = async (ms: number): Promise<number> => {
    if (open >= maxSessions) {
      refused++;
      throw new Error('(SSH) Channel open failure: open failed');
    }
    open++;
    peak = Math.max(peak, open);
    await new Promise((r) => setTimeout(r, ms));
    open--;
    return ms;
  };
  return { session, stats: () => ({ peak, refused, open }) };
}

describe('SessionSlots', () => {
  it('never opens more sessions than its limit, and runs every command', async () => {
    const s = server(10);
    const slots = new SessionSlots(8);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => slots.run(() => s.session(1 + (i % 3)))));
    expect(results).toHaveLength(40);
    expect(s.stats()).toEqual({ peak: 8, refused: 0, open: 0 });
  });

  it('shrinks to a server configured below its limit and still runs every command', async () => {
    const s = server(5);
    const slots = new SessionSlots(8);
    const results = await Promise.all(Array.from({ length: 30 }, () => slots.run(() => s.session(2))));
    expect(results.every((r) => r === 2)).toBe(true);
    expect(s.stats().peak).toBe(5);
    expect(s.stats().refused).toBeGreaterThan(0);
    expect(slots.concurrency).toBe(5);
  });

  it('passes on other failures, and a refusal when nothing else is open', async () => {
    const slots = new SessionSlots(8);
    await expect(slots.run(() => Promise.reject(new Error('connection lost')))).rejects.toThrow('connection lost');
    const closed = server(0);
    await expect(slots.run(() => closed.session(1))).rejects.toThrow('Channel open failure');
  });
});
