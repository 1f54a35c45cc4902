import { defineConfig } from 'vitest/config'

// Projects: `unit` (pure, beside the code), `integration` (real chdb + real HTTP on loopback).
// `vitest run --project <name>` fails loudly on an unknown name.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/server/test/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
