import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ first (children, the CLI and the hooks run it) and makes the isolated HOME.
    globalSetup: ['./test/support/global-setup.ts'],
    setupFiles: ['./test/support/environment.ts'],
    // Concurrency tests spawn real processes; two cores only, so keep files from competing too hard.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
