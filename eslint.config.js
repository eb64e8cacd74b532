// Lint rules: ESLint's and typescript-eslint's recommended sets (no type-aware rules, so that a lint run
// takes seconds). `npm run lint`; .ci/run runs it through `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-action/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {
      // `_`-prefixed names are deliberately unused (a callback's position, a destructured rest).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Small files with one purpose.
      'max-lines': ['error', { max: 400 }],
    },
  },
  {
    // The dashboard's page runs in the browser.
    files: ['src/dashboard/web/**/*.js'],
    languageOptions: {
      globals: { document: 'readonly', window: 'readonly', fetch: 'readonly', location: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URLSearchParams: 'readonly' },
    },
  },
  {
    // Functions that fit on a screen. Tests are exempt: a `describe` callback groups cases, it is no function
    // anyone reads as one.
    files: ['src/**/*.ts', 'scripts/**/*.mjs', 'bench/**/*.mjs'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
);
