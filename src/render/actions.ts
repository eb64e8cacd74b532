// Glyphs and words for each action, Terraform's conventions, shared by the text and markdown renderers.

import type { Action } from '../plan/types.js';

export const ACTION_GLYPH: Record<Action, string> = {
  create: '+',
  update: '~',
  delete: '-',
  replace: '-/+',
};

/** Legend wording, in the order Terraform prints it. */
export const ACTION_LEGEND: readonly [Action, string][] = [
  ['create', 'create'],
  ['update', 'update in place'],
  ['delete', 'delete'],
  ['replace', 'delete, then create again'],
];
