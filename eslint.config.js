// ESLint flat config (ESLint 9 + typescript-eslint 8, type-aware).
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Node built-ins, by their bare names (the `node:` forms are refused by the workflow rule's patterns).
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
  // General rules first: a later object that sets the same rule replaces it for its files.
  {
    // Every SQL statement lives in src/db (repository functions that take the database or a
    // transaction first); the rest of the product calls those functions.
    files: ['src/**/*.ts', 'bench/**/*.ts'],
    ignores: ['src/db/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'kysely', importNames: ['sql'], message: 'SQL lives in src/db: add or use a repository function there.' }] },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name=/^(selectFrom|selectNoFrom|updateTable|insertInto|replaceInto|deleteFrom|mergeInto|executeQuery)$/]',
          message: 'SQL lives in src/db: add or use a repository function there.',
        },
      ],
    },
  },
  {
    // The environment is read once, into typed settings (src/app/settings.ts); everything else takes
    // what the composition root built from them.
    files: ['src/**/*.ts', 'bench/**/*.ts'],
    ignores: ['src/app/settings.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings from src/app/settings.ts (readSettings), not process.env.' },
      ],
    },
  },
  {
    // Workflow code runs inside Temporal's deterministic sandbox: it may import `@temporalio/workflow`,
    // the contract floor and its own folder; anything else only as a type.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Node built-ins are not available in Temporal workflow code.' })),
          patterns: [
            {
              regex: '^(?!@temporalio/workflow$|\\./[^/]+$|\\.\\./contract/[^/]+$)',
              allowTypeImports: true,
              message:
                'Workflow code imports only @temporalio/workflow and src/contract (types from anywhere); ' +
                'call activities through proxyActivities.',
            },
          ],
        },
      ],
    },
  },
  {
    // The contract is the ground floor every layer stands on, workflows included: pure, and free of
    // runtime imports outside itself.
    files: ['src/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(?!\\./[^/]+$)', allowTypeImports: true, message: 'src/contract imports nothing but itself (types excepted).' }] },
      ],
    },
  },
);
