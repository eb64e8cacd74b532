import { redact } from '../util/redact.js';

// All CLI output goes through here, so it is redacted and NO_COLOR is honoured in one place.
export function out(text: string): void {
  process.stdout.write(redact(text.endsWith('\n') ? text : text + '\n'));
}

export function err(text: string): void {
  process.stderr.write(redact(text.endsWith('\n') ? text : text + '\n'));
}

export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

/** How commands report warnings (e.g. a master key just created): on stderr, so stdout stays the result. */
export function warn(text: string): void {
  err(`Warning: ${text}`);
}
