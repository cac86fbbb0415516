// ESLint flat config (ESLint 9 + typescript-eslint 8, type-aware).
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Workflow code runs inside Temporal's deterministic sandbox: no Node built-ins,
// no I/O libraries, and activities only via proxyActivities (type imports are fine).
const nodeBuiltins = [
  'fs',
  'fs/promises',
  'path',
  'os',
  'crypto',
  'child_process',
  'net',
  'http',
  'https',
  'stream',
  'util',
  'events',
  'worker_threads',
];

export default defineConfig(
  {
    ignores: ['node_modules/', '.tools/', '.music-sync/', 'dist/'],
  },
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Migrations are frozen in time: they see Kysely<any>, never the app's current schema types.
    files: ['migrations/**/*.ts', 'src/db/migrate.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // node:test's test()/describe() return promises the runner itself awaits.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Node built-ins are not available in Temporal workflow code.',
          })),
          patterns: [
            {
              group: ['node:*'],
              message: 'Node built-ins are not available in Temporal workflow code.',
            },
            {
              group: ['**/activities', '**/activities/**'],
              allowTypeImports: true,
              message:
                'Workflows may only import activity *types*; call activities through proxyActivities.',
            },
            {
              group: ['kysely', 'kysely/**', 'pg', 'pg/**', 'music-metadata', 'music-metadata/**'],
              allowTypeImports: true,
              message: 'I/O libraries must not be used in workflow code; do it in an activity.',
            },
          ],
        },
      ],
    },
  },
);
