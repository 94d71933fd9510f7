import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests import the packages by name, through their package.json `exports`: they run the
  // compiled dist/ that users get. The global setup runs `tsc -b` first, so it is never stale.
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'test/**/*.test.ts',
      'examples/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
