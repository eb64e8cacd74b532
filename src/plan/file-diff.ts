import { OMIT_HEADERS, formatPatch, structuredPatch } from 'diff';
import type { FileDiff } from './types.js';

// Pure: the unified diff a plan shows for a file edited by hand on a host, made with jsdiff. The caller
// decides which files may be shown (never one holding credentials) and masks what must not be seen.

/** At most this many diff lines in a plan; the rest is counted, not shown. */
export const FILE_DIFF_MAX_LINES = 40;
/** Longer lines are cut: one pasted blob must not make a plan unreadable. */
export const FILE_DIFF_MAX_LINE_CHARS = 200;
const CONTEXT_LINES = 2;

export function fileDiff(file: string, onHost: string, rendered: string): FileDiff {
  const patch = structuredPatch(file, file, expandTabs(onHost), expandTabs(rendered), '', '', { context: CONTEXT_LINES });
  // Hunks only: renderers print the ---/+++ headers, with where the file is and which side is which.
  const all = formatPatch(patch, OMIT_HEADERS).split('\n').slice(0, -1);
  return {
    file,
    lines: all.slice(0, FILE_DIFF_MAX_LINES).map(cut),
    omitted: Math.max(0, all.length - FILE_DIFF_MAX_LINES),
  };
}

function cut(line: string): string {
  return line.length > FILE_DIFF_MAX_LINE_CHARS ? `${line.slice(0, FILE_DIFF_MAX_LINE_CHARS - 1)}…` : line;
}

/** Tabs to spaces (8 columns): renderers escape control characters, and a tab-aligned file should stay aligned. */
function expandTabs(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/[^\t]*\t/g, (chunk) => chunk.slice(0, -1).padEnd(Math.ceil(chunk.length / 8) * 8)))
    .join('\n');
}
