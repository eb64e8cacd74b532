import type { Executor } from '../../apply/context.js';
import { field } from '../../apply/context.js';
import type { SecretRef } from '../../plan/types.js';
import { ident, literal } from '../../util/sql.js';
import { scramVerifier } from './scram.js';

// Sets a role's password as a SCRAM-SHA-256 verifier computed here: the password itself never
// reaches PostgreSQL, so it cannot end up in its log even with log_statement=all.
const setPassword: Executor = async (step, ctx) => {
  const addon = field<string>(step, 'addon', 'string');
  const role = field<string>(step, 'role', 'string');
  const password = await ctx.secret(field<SecretRef>(step, 'secret', 'object'));
  const client = await ctx.pg(addon, 'postgres');
  await client.query(`ALTER ROLE ${ident(role)} PASSWORD ${literal(scramVerifier(password))}`);
};

export const userExecutors: Record<string, Executor> = { 'role.password': setPassword };
