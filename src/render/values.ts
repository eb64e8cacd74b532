// Value helpers shared by every renderer. Plans carry user-chosen names (add-ons, users, paths), so
// anything printed must stay on one line and must not smuggle terminal or bidi control characters.

import type { JsonValue } from '../plan/types.js';

// C0/C1 controls (ESC starts ANSI sequences; C1 0x9b is a one-byte CSI), DEL, line/paragraph separators
// and bidi overrides (which can make a name read differently from what it is).
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Makes a string safe to print as one line: control characters become visible JSON-style escapes. */
export function oneLine(s: string): string {
  return s.replace(UNSAFE, (ch) => NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Copy of a value with object keys sorted (by code unit, never by locale), so two plans that differ only in
 * key order render to the same bytes.
 */
export function canonical(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(canonical);
  if (v === null || typeof v !== 'object') return v;
  const out: { [k: string]: JsonValue } = {};
  for (const k of Object.keys(v).sort()) out[k] = canonical(v[k] as JsonValue);
  return out;
}

/** Compact one-line form: strings quoted, arrays and objects as compact JSON with sorted keys. */
export function compact(v: JsonValue): string {
  return oneLine(JSON.stringify(canonical(v)));
}
