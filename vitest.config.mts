import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__test__/**/*.spec.ts'],
    exclude: ['__test__/samples/**', '**/node_modules/**'],
    // The native addon is loaded once per process; forks keep every file isolated.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
