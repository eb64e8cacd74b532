import type { Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';

// Runs a step's statements on one database of an add-on, in one transaction unless the step says
// otherwise (CREATE DATABASE cannot run in one) or the engine already opened one for several changes. Statements are fully rendered at plan time, with every
// name quoted, and carry no secret.
const sql: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const database = field<string>(step, 'database', 'string');
  const statements = step.statements;
  if (!Array.isArray(statements) || !statements.every((s) => typeof s === 'string')) {
    throw new Error('plan step sql: statements must be a list of strings');
  }
  const client = await ctx.pg(addon, database);
  if (step.transaction === false || ctx.inTransaction) {
    for (const s of statements as string[]) await client.query(s);
    return;
  }
  await client.query('BEGIN');
  try {
    for (const s of statements as string[]) await client.query(s);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
};

export const sqlExecutors: Record<string, Executor> = { sql };
