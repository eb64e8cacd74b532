import type { Plan } from '../../src/plan/types.js';

// Texts that only steps carry (executor names such as "container.ensure", SQL statements, file contents
// for the host): finding one in a rendered plan means steps leaked into what users read.
export function stepTexts(plan: Plan): string[] {
  const texts = new Set<string>();
  for (const step of plan.changes.flatMap((c) => c.steps)) {
    if (step.type.includes('.')) texts.add(step.type);
    if (Array.isArray(step.statements)) for (const s of step.statements) if (typeof s === 'string') texts.add(s);
    for (const field of ['hba', 'content'] as const) if (typeof step[field] === 'string') texts.add(step[field]);
  }
  return [...texts];
}
