import { createHash, type Hash } from 'node:crypto';

// Stable JSON (sorted keys) so that hashes of observed state and plans do not depend on gather order.
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * sha256Hex(canonicalJson(value)), without building the JSON text: the text is fed to the hash in pieces.
 * A plan that installs backups on 500 add-ons carries the 240 kB host program in each step: its canonical
 * JSON would be a string of 120 MB (and a sorted copy of the plan) held only to be hashed.
 */
export function canonicalSha256Hex(value: unknown): string {
  const sink = new HashSink(createHash('sha256'));
  if (!writeCanonical(value, sink)) throw new TypeError('canonicalSha256Hex: the value has no JSON text');
  return sink.digest();
}

/** Collects small pieces into a chunk before each hash update: one update per token costs more than the hash. */
class HashSink {
  private chunk = '';
  constructor(private readonly hash: Hash) {}
  write(text: string): void {
    this.chunk += text;
    if (this.chunk.length >= 65_536) this.flush();
  }
  private flush(): void {
    this.hash.update(this.chunk);
    this.chunk = '';
  }
  digest(): string {
    this.flush();
    return this.hash.digest('hex');
  }
}

/** The order JSON.stringify(sortKeys(value)) writes keys in: sorted, except that an object lists integer-like
 *  keys ("0", "12") first, in numeric order, whatever order they were inserted in. */
function sortedKeyOrder(value: object): string[] {
  const keys = Object.keys(value).sort();
  return keys.some((k) => /^(0|[1-9][0-9]*)$/.test(k)) ? Object.keys(Object.fromEntries(keys.map((k) => [k, 0]))) : keys;
}

/** Writes what JSON.stringify(sortKeys(value)) would; false where it would write nothing (undefined, a function). */
function writeCanonical(value: unknown, out: HashSink): boolean {
  if (Array.isArray(value)) {
    out.write('[');
    value.forEach((item, i) => {
      if (i > 0) out.write(',');
      if (!writeCanonical(item, out)) out.write('null'); // JSON.stringify writes null for a hole it cannot show
    });
    out.write(']');
    return true;
  }
  if (value && typeof value === 'object') {
    out.write('{');
    let first = true;
    for (const k of sortedKeyOrder(value)) {
      const v = (value as Record<string, unknown>)[k];
      // canonicalJson's copy drops these too: assigning `__proto__` sets a prototype, not a key.
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol' || k === '__proto__') continue;
      out.write(first ? `${JSON.stringify(k)}:` : `,${JSON.stringify(k)}:`);
      first = false;
      writeCanonical(v, out);
    }
    out.write('}');
    return true;
  }
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) return false;
  out.write(text);
  return true;
}
