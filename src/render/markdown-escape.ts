// Escaping for GitHub-flavoured markdown. User names may contain any character, and a PR comment whose
// table or code block a user name can break (or inject HTML into) would misreport the plan.

import { oneLine } from './values.js';

/**
 * Escapes text for inline use, including inside a table cell: HTML-significant characters become
 * entities (so `<b>` shows literally and `&lt;` is not decoded), a pipe becomes `&#124;` (the table
 * splitter runs before inline parsing, and unlike `\|` an entity cannot be undone by a preceding
 * backslash), and emphasis, code, link and strikethrough markers are backslash-escaped.
 */
export function escapeInline(s: string): string {
  return oneLine(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/\|/g, '&#124;')
    .replace(/[\\`*_[\]~]/g, '\\$&');
}

/**
 * Like escapeInline, for text that starts a line (a list item): a leading `#`, `>`, `-`, `+`, `=` or
 * `1.` would otherwise turn the text into a heading, quote or list, and leading spaces into code.
 */
export function escapeLineStart(s: string): string {
  const text = escapeInline(s.trimStart());
  if (/^[#>+=-]/.test(text)) return `\\${text}`;
  return text.replace(/^(\d+)([.)])/, '$1\\$2');
}

/** A code fence longer than any run of backticks in the content, so the content cannot close it. */
export function fenceFor(content: string): string {
  const longest = (content.match(/`+/g) ?? []).reduce((n, run) => Math.max(n, run.length), 0);
  return '`'.repeat(Math.max(3, longest + 1));
}
