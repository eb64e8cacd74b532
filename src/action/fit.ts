// Fits a document under a size limit by showing fewer items of its shrinkable sections, in a given order
// (least important first). Each section is cut only as far as needed: the largest count that still fits
// is found by binary search, with the sections after it still shown in full.

export interface Fitted {
  text: string;
  /** How many items of each section are shown. */
  shown: number[];
}

/**
 * `render(shown)` builds the whole document with `shown[i]` items of section i (it also writes the note
 * saying what was left out). `order` lists section indexes, the first cut first. A document that does
 * not fit even with every section empty is cut hard at the limit: no caller should get there.
 */
export function fitToLimit(render: (shown: number[]) => string, totals: number[], order: number[], limit: number): Fitted {
  const shown = [...totals];
  let text = render(shown);
  for (const section of order) {
    if (text.length <= limit) return { text, shown };
    const fitsWith = (n: number): boolean => render(shown.map((s, i) => (i === section ? n : s))).length <= limit;
    let lo = 0;
    let hi = totals[section]! - 1;
    if (!fitsWith(0)) hi = -1;
    // Invariant: lo fits (when hi >= 0); find the largest count in [lo, hi] that fits.
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fitsWith(mid)) lo = mid;
      else hi = mid - 1;
    }
    shown[section] = Math.max(0, hi);
    text = render(shown);
  }
  if (text.length <= limit) return { text, shown };
  const cut = '\n\n_(cut at the size limit)_\n';
  return { text: text.slice(0, limit - cut.length) + cut, shown };
}
