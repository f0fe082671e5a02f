import { defineConfig } from 'vitest/config';

/**
 * Test files of pure logic: no git, no child process, no lock, no store. They run in their own
 * project, on a worker thread beside the two forks of the end-to-end files, so the CPU left idle while
 * an end-to-end test waits for its git and node children is used (issue 23). A new file is end to end
 * unless it is added here.
 */
const UNIT_FILES = [
  'test/architecture.test.ts',
  'test/cli-exit-codes.test.ts',
  'test/document.test.ts',
  'test/hooks-tasks.test.ts',
  'test/line-patch.test.ts',
  'test/merge-driver-merge.test.ts',
  'test/model.test.ts',
  'test/paths.test.ts',
  'test/reconcile-data.test.ts',
  'test/reconcile.test.ts',
  'test/sections.test.ts',
  'test/state-patch.test.ts',
  'test/verify-checks.test.ts',
  'test/yaml-rewrite.test.ts',
];

/** What both projects share; the global setup (build, pack, isolated HOME) is the root's and runs once. */
const common = {
  setupFiles: ['./test/support/environment.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    // Builds dist/ first (children, the CLI and the hooks run it) and makes the isolated HOME.
    globalSetup: ['./test/support/global-setup.ts'],
    // Pools are shared by the projects: two forks for end-to-end files (they spawn real processes and
    // two cores would only make them compete harder), one thread for the unit files.
    maxWorkers: 2,
    poolOptions: { forks: { maxForks: 2 }, threads: { maxThreads: 1, minThreads: 1 } },
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { test: { ...common, name: 'unit', include: UNIT_FILES, pool: 'threads' } },
      // One fork runs file after file (no new process and module graph per file): the suite is CPU-bound,
      // and every file sets its environment again (setupFiles) and changes no module state it relies on.
      { test: { ...common, name: 'e2e', include: ['test/**/*.test.ts'], exclude: UNIT_FILES, pool: 'forks', isolate: false } },
    ],
  },
});
