// Types of scripts/compile-schema.mjs, for vitest.config.ts and the tests (type-checked by tsconfig.test.json).
export declare const SCHEMA_FILE: string;
export declare const SCHEMA_VALIDATOR_OUT: string;
export declare const AJV_OPTIONS: { allErrors: boolean; verbose: boolean; strict: boolean };
export declare function schemaValidatorModule(schemaText?: string): string;
