// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  // Tiny config and launcher files outside every tsconfig are not type-linted.
  { ignores: ['**/dist/**', '**/node_modules/**', '.dunlin/**', 'bench/results/**', 'bench/.data/**', 'eslint.config.js', 'vitest.config.ts', 'packages/*/bin/**', '**/.next/**', '**/.next-*/**', '**/next-env.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
      'no-restricted-imports': ['error', { paths: [{ name: 'chdb', message: 'Only engine/chdb.ts may import chdb.' }] }],
    },
  },
  {
    files: ['packages/client/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'chdb', message: 'Only engine/chdb.ts may import chdb.' }],
          patterns: [{ group: ['node:*'], message: '@dunlin/client uses Web APIs only (browser, Node, edge).' }],
        },
      ],
    },
  },
  {
    files: ['packages/server/src/engine/chdb.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.test.ts', 'packages/server/test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
)
