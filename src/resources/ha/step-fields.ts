import type { Step } from '../../plan/types.js';

/** A field of a plan step that must be a list of strings (a plan file is input). */
export function stringList(step: Step, name: string): string[] {
  const value = step[name];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`plan step ${step.type}: ${name} must be a list of strings`);
  return value as string[];
}
