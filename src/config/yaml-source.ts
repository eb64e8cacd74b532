// YAML text -> plain data, keeping the parsed document so that any later error (schema or semantic) can be
// reported at the line:col of the node it is about. Errors found here (syntax, duplicate keys, alias bombs)
// stop the load: the data would not be trustworthy enough to validate.

import {
  LineCounter,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';

/** A segment of a path into the data: a mapping key or a sequence index. */
export type PathSeg = string | number;

/** A problem found in the data, before it has a position. `on: 'key'` points at the key naming the node. */
export interface Issue {
  path: PathSeg[];
  on: 'key' | 'value';
  message: string;
}

export interface LineCol {
  line: number;
  col: number;
}

/** Expanding aliases past this weight is refused (yaml's own resource-exhaustion guard, kept small). */
export const MAX_ALIAS_COUNT = 50;

export interface ParsedSource {
  /** Plain data, absent when the YAML itself is broken. */
  data?: unknown;
  /** Problems of the YAML text itself, already positioned. */
  errors: Array<LineCol & { message: string }>;
  /** Position of the node at `path` (or of the deepest existing node on the way). */
  locate(path: PathSeg[], on: 'key' | 'value'): LineCol;
}

export function parseYamlSource(text: string): ParsedSource {
  const lineCounter = new LineCounter();
  // logLevel 'error' (not 'silent'): 'silent' also drops the "several documents" error.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, logLevel: 'error' });
  const posOf = (offset: number): LineCol => lineCounter.linePos(offset);
  const locate = (path: PathSeg[], on: 'key' | 'value'): LineCol => posOf(offsetOf(doc, path, on));

  const errors: ParsedSource['errors'] = [];
  for (const e of [...doc.errors, ...doc.warnings]) {
    errors.push({ ...posOf(e.pos[0]), message: yamlMessage(e.code, e.message, keyAt(doc, e.pos[0])) });
  }
  if (errors.length > 0) return { errors, locate };

  // Checked on the node tree before anything expands aliases: expansion is what a bomb attacks.
  for (const problem of [...nonScalarKeys(doc), ...aliasProblems(doc)]) {
    errors.push({ ...posOf(problem.offset), message: problem.message });
  }
  if (errors.length > 0) return { errors, locate };

  try {
    return { data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), errors, locate };
  } catch (e) {
    // The checks above should have caught it; keep yaml's guard as the last line, positioned at the first alias.
    const offset = firstAliasOffset(doc) ?? 0;
    errors.push({ ...posOf(offset), message: `cannot expand aliases: ${(e as Error).message}` });
    return { errors, locate };
  }
}

function yamlMessage(code: string, message: string, key: string | undefined): string {
  if (code === 'DUPLICATE_KEY') return `duplicate key ${JSON.stringify(key ?? '')}: each key may appear once in a mapping`;
  if (code === 'MULTIPLE_DOCS') return 'the file holds several YAML documents (---); databases.yaml must hold one';
  return `YAML: ${message}`;
}

interface OffsetProblem {
  offset: number;
  message: string;
}

// A key like `[a, b]` or `{x: 1}` would be silently stringified into a name; refuse it instead.
function nonScalarKeys(doc: Document): OffsetProblem[] {
  const problems: OffsetProblem[] = [];
  visit(doc, {
    Pair(_k, pair) {
      const key = pair.key;
      if (key === null || isScalar(key)) return;
      problems.push({ offset: nodeOffset(key as Node), message: 'a key must be a plain string, not a list, a mapping or an alias' });
    },
  });
  return problems;
}

/**
 * Finds aliases that would make the data explode (billion laughs), loop (an alias inside its own anchor) or
 * dangle (no anchor before them). The weight rule mirrors yaml's maxAliasCount: an anchor aliased `uses`
 * times whose content already multiplies by `weight` costs `uses * weight`. Everything is memoized, so
 * this runs in time linear in the size of the text whatever the document tries.
 */
function aliasProblems(doc: Document): OffsetProblem[] {
  const anchors = new Map<string, Node>();
  const resolved = new Map<Alias, Node>();
  const uses = new Map<Node, number>();
  const weights = new Map<Node, number>();
  const inProgress = new Set<Node>();
  let problem: OffsetProblem | undefined;

  const weightOf = (node: unknown): number => {
    if (isAlias(node)) {
      const target = resolved.get(node);
      if (!target) return 0;
      if (inProgress.has(target)) return Infinity; // the alias sits inside its own anchor
      return (uses.get(target) ?? 0) * anchorWeight(target);
    }
    if (isPair(node)) return Math.max(weightOf(node.key), weightOf(node.value));
    if (isCollection(node)) {
      let max = 1;
      for (const item of node.items) max = Math.max(max, weightOf(item));
      return max;
    }
    return 1;
  };
  const anchorWeight = (target: Node): number => {
    const cached = weights.get(target);
    if (cached !== undefined) return cached;
    inProgress.add(target);
    const w = weightOf(target);
    inProgress.delete(target);
    weights.set(target, w);
    return w;
  };

  visit(doc, {
    Node(_k, node) {
      if (problem) return visit.BREAK;
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        const offset = nodeOffset(node);
        if (!target) {
          problem = { offset, message: `unknown alias *${node.source}: its anchor &${node.source} must come before it` };
          return visit.BREAK;
        }
        resolved.set(node, target);
        if (isCollection(target) && containsNode(target, node)) {
          problem = { offset, message: `alias *${node.source} is inside its own anchor &${node.source} (a loop)` };
          return visit.BREAK;
        }
        const n = (uses.get(target) ?? 0) + 1;
        uses.set(target, n);
        if (n * anchorWeight(target) > MAX_ALIAS_COUNT) {
          problem = {
            offset,
            message: `alias *${node.source} expands the document too much (more than ${MAX_ALIAS_COUNT} alias expansions): refusing a possible alias bomb`,
          };
          return visit.BREAK;
        }
        return undefined;
      }
      if (node.anchor) anchors.set(node.anchor, node);
      return undefined;
    },
  });
  return problem ? [problem] : [];
}

function containsNode(root: Node, needle: Node): boolean {
  let found = false;
  visit(root, {
    Node(_k, n) {
      if (n === needle) {
        found = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** The text of the scalar key starting at `offset` (yaml points duplicate keys at their first character). */
function keyAt(doc: Document, offset: number): string | undefined {
  let key: string | undefined;
  visit(doc, {
    Pair(_k, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        key = String(pair.key.value ?? '');
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return key;
}

function firstAliasOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_k, node) {
      offset = nodeOffset(node);
      return visit.BREAK;
    },
  });
  return offset;
}

function nodeOffset(node: Node | null | undefined): number {
  return node?.range?.[0] ?? 0;
}

/** Offset of the node at `path`; walks through aliases; stops at the deepest node that exists. */
function offsetOf(doc: Document, path: PathSeg[], on: 'key' | 'value'): number {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  for (const seg of path) {
    const here = deref(doc, node);
    let next: { key?: Node; value: unknown } | undefined;
    if (isMap(here)) {
      const pair = pairsByKey(here).get(String(seg));
      if (pair) next = { key: pair.key as Node, value: pair.value };
    } else if (isSeq(here) && typeof seg === 'number') {
      next = { value: here.items[seg] };
    }
    if (!next) break;
    keyNode = next.key;
    node = next.value ?? next.key;
  }
  if (on === 'key' && keyNode) return nodeOffset(keyNode);
  return nodeOffset(node as Node | null) || nodeOffset(keyNode) || 0;
}

// Indexed once per mapping: Config positions look up every add-on and user, so a linear scan would be quadratic.
const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairsByKey(map: YAMLMap): Map<string, Pair> {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) {
      if (isScalar(pair.key)) index.set(String(pair.key.value ?? ''), pair);
    }
    pairIndex.set(map, index);
  }
  return index;
}

function deref(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}
