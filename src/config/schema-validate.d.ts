// Types of dist/config/schema-validate.js: schemas/databases.schema.json compiled by ajv at build time
// (scripts/compile-schema.mjs, run by `npm run build`; vitest and the Action bundle generate the same
// module on the fly). There is no source file: the schema is the source.
import type { ErrorObject } from 'ajv';

export interface CompiledValidate {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export declare const validate: CompiledValidate;
