// One entry point for the CLI and the GitHub Action: every format renders the same Plan object.

import type { Plan } from '../plan/types.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderText } from './text.js';

export type RenderFormat = 'text' | 'markdown' | 'json';
export const RENDER_FORMATS: readonly RenderFormat[] = ['text', 'markdown', 'json'];

export interface RenderOptions {
  /** Text only; the CLI decides (TTY, NO_COLOR, --no-color). Default false. */
  color?: boolean;
}

export function render(plan: Plan, format: RenderFormat, opts: RenderOptions = {}): string {
  switch (format) {
    case 'text':
      return renderText(plan, { color: opts.color ?? false });
    case 'markdown':
      return renderMarkdown(plan);
    case 'json':
      return renderJson(plan);
  }
}

export { renderJson, JSON_FORMAT_VERSION } from './json.js';
export { renderMarkdown } from './markdown.js';
export { renderText, type TextOptions } from './text.js';
