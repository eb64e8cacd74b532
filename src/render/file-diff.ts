// A change's file diff (a file on a host edited by hand) as printable lines, shared by the text and
// markdown renderers: the unified diff headers, the hunks, and how many lines were left out.

import type { FileDiff } from '../plan/types.js';
import { oneLine } from './values.js';

export function fileDiffLines(d: FileDiff): string[] {
  const file = oneLine(d.file);
  return [
    `--- ${file} (on the host)`,
    `+++ ${file} (as dbform will write it)`,
    ...d.lines.map(oneLine),
    ...(d.omitted > 0 ? [`… ${d.omitted} more line${d.omitted === 1 ? '' : 's'}`] : []),
  ];
}
