import type { Step } from '../../plan/types.js';

/** Whether `u` is a member's REST API address as plans carry it: https, an IP address and a port. */
export function isApiAddress(u: unknown): boolean {
  return typeof u === 'string' && /^https:\/\/[0-9a-f.:[\]]+:\d+$/.test(u);
}

/** A field of a plan step that must be a list of strings (a plan file is input). */
export function stringList(step: Step, name: string): string[] {
  const value = step[name];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`plan step ${step.type}: ${name} must be a list of strings`);
  return value as string[];
}
