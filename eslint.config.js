// ESLint: what the code claims, checked in `npm test` (STYLE.md B5, B10). Formatting is Prettier's (`.prettierrc.json`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { moduleBoundaries } from './scripts/eslint-module-boundaries.js';

export default tseslint.config(
  { ignores: ['dist/**', 'data/**', 'node_modules/**', 'coverage/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { tenantflow: { rules: { 'module-boundaries': moduleBoundaries } } },
    rules: {
      // Promises: an unhandled rejection is a crash or a silent loss; a promise where a void callback is expected is a bug.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      // Type-only imports are erased; with decorator metadata the rule leaves decorated files' DI imports alone.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'tenantflow/module-boundaries': 'error',
      // Off: it misreads values used only in parameter decorators (`@Param('id', OrgId)`) as never read.
      'no-useless-assignment': 'off',
      // Off: refusing control characters is exactly what the security checks' regular expressions are for.
      'no-control-regex': 'off',
      // Off: Prettier owns line breaks and splits `x()[method](…)` chains this way (as eslint-config-prettier does).
      'no-unexpected-multiline': 'off',
    },
  },
  {
    // Tests may reach into a module's internals (that is what unit tests are for) and use looser types.
    files: ['test/**/*.ts', 'src/**/__tests__/**/*.ts'],
    rules: {
      'tenantflow/module-boundaries': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        performance: 'readonly',
        structuredClone: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }] },
  },
);
