// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What core may not import: anything of ours outside src/core (`outside`: the relative prefix that leaves it). */
function corePatterns(outside) {
  return [
    { regex: outside, message: 'core imports nothing of ours, types included' },
    {
      group: ['vscode', '@tensorflow/*', 'node:*', 'fs', 'path', 'child_process'],
      message: 'core is pure: no vscode, tfjs or I/O',
    },
  ];
}

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
    // The dependency direction core ← protocol ← everything else, enforced: core imports nothing of ours, types
    // included (outside packages such as zod and re2js are fine). From src/core/rules/ two levels up leaves core;
    // the block after this one says the same for files directly in src/core/.
    files: ['src/core/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: corePatterns('^\\.\\./\\.\\./') }],
    },
  },
  {
    files: ['src/core/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: corePatterns('^\\.\\./') }],
    },
  },
  {
    // protocol holds schemas and their types: it imports zod, core (names such as the estimators) and itself.
    files: ['src/protocol/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!zod$|\\./|\\.\\./core/)',
              message: 'protocol imports only zod and core',
            },
          ],
        },
      ],
    },
  },
  {
    // Long functions hide ideas that want a name; these folders already keep under the limit.
    files: [
      'src/core/**/*.ts',
      'src/protocol/**/*.ts',
      'src/verl/**/*.ts',
      'src/host/panels/**/*.ts',
      'src/host/welcome/**/*.ts',
      'webview/**/*.ts',
    ],
    rules: { 'max-lines-per-function': ['error', { max: 120 }] },
  },
  {
    // The verl command builder is shared by the host and the CLI: pure, no vscode, no tfjs.
    files: ['src/verl/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['vscode', '@tensorflow/*', '**/host/*', '**/trainer/*', '**/cli/*', '**/experiment/*'],
              message: 'src/verl is shared by the host and the CLI: no vscode, tfjs or either side',
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
