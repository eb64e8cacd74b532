// Which attribute lines a change shows. Shared by the text and markdown renderers so that the terminal
// and the pull-request comment always list the same differences.

import type { Attrs, Change, JsonValue } from '../plan/types.js';
import { compact, oneLine } from './values.js';

export type AttrLine =
  | { op: '+' | '-'; key: string; value: string }
  | { op: '~'; key: string; before: string; after: string; items?: ItemDiff };

/** For a list that gained or lost elements: just those elements, since whole lists are hard to compare. */
export interface ItemDiff {
  removed: string[];
  added: string[];
}

/**
 * create lists every `after` attribute, delete every `before` attribute; update and replace list only the
 * keys whose values differ (a key present on one side only shows as added or removed). Keys are sorted so
 * the output does not depend on the order a resource kind happened to build its objects in.
 */
export function attributeLines(change: Change): AttrLine[] {
  if (change.action === 'create') return listAll('+', change.after);
  if (change.action === 'delete') return listAll('-', change.before);
  const before = change.before ?? {};
  const after = change.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const lines: AttrLine[] = [];
  for (const key of keys) {
    const b = has(before, key) ? compact(before[key] as JsonValue) : undefined;
    const a = has(after, key) ? compact(after[key] as JsonValue) : undefined;
    if (b === a) continue;
    const shown = oneLine(key);
    if (b === undefined) lines.push({ op: '+', key: shown, value: a as string });
    else if (a === undefined) lines.push({ op: '-', key: shown, value: b });
    else lines.push({ op: '~', key: shown, before: b, after: a, ...itemDiff(before[key] as JsonValue, after[key] as JsonValue) });
  }
  return lines;
}

function listAll(op: '+' | '-', attrs: Attrs | null): AttrLine[] {
  if (!attrs) return [];
  return Object.keys(attrs)
    .sort()
    .map((key) => ({ op, key: oneLine(key), value: compact(attrs[key] as JsonValue) }));
}

/**
 * Elements removed and added between two lists, counted as multisets. Undefined when either side is not a
 * list or only the order changed; the caller then shows the whole lists.
 */
function itemDiff(before: JsonValue, after: JsonValue): { items: ItemDiff } | undefined {
  if (!Array.isArray(before) || !Array.isArray(after)) return undefined;
  const remaining = after.map(compact);
  const removed: string[] = [];
  for (const item of before.map(compact)) {
    const i = remaining.indexOf(item);
    if (i === -1) removed.push(item);
    else remaining.splice(i, 1);
  }
  if (removed.length === 0 && remaining.length === 0) return undefined;
  return { items: { removed, added: remaining } };
}

function has(attrs: Attrs, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(attrs, key);
}

/** Width to pad keys to, so the values of one change line up. */
export function keyWidth(lines: AttrLine[]): number {
  return lines.reduce((w, l) => Math.max(w, l.key.length), 0);
}
