// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'out/**',
      'test-artifacts/**',
      '.device/**',
      'engines/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['esbuild.js'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // node:test's describe/it return promises the runner itself awaits
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // The dependency direction core ← protocol ← trainer, host, webview, enforced: core runs nothing of ours. It may
    // name the rule-file types that src/protocol declares (type-only, erased at build), never run protocol code.
    files: ['src/core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/protocol/*'],
              allowTypeImports: true,
              message: 'core may only import types from protocol',
            },
            {
              group: ['**/trainer/*', '**/cli/*', '**/experiment/*', '**/host/*', '**/webview/*'],
              message: 'core imports nothing of ours',
            },
            {
              group: ['vscode', '@tensorflow/*', 'node:*', 'fs', 'path', 'child_process'],
              message: 'core is pure: no vscode, tfjs or I/O',
            },
          ],
        },
      ],
    },
  },
  {
    // host starts the trainer as a process and never imports its code; webviews never import host code.
    files: ['src/host/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/trainer/*', '**/cli/*', '**/experiment/*', '@tensorflow/*'],
              message: 'the host starts the trainer and the CLI as processes; it never imports them',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/host/*', '**/trainer/*', '**/cli/*', '**/experiment/*', 'vscode'],
              message: 'webviews talk to the host by messages only',
            },
          ],
        },
      ],
    },
  },
);
