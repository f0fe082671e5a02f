import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/** How many of the slowest test files the closing lines name (issue 23: where the suite's time goes). */
const SLOWEST_SHOWN = 10;

/**
 * Prints the ten slowest test files (wall time of each file: collect, setup and its tests), then one
 * plain closing line, `Tests: N passed, N failed, N skipped`, which CI reads as the verdict of the
 * run (vitest's own summary is not a format CI knows), so it stays the last line.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else skipped += 1;
      }
    }
    process.stdout.write(slowestFiles(testModules));
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

/** The slowest files, slowest first, one line each: seconds, the file, its project when there are several. */
export function slowestFiles(testModules: ReadonlyArray<TestModule>, count = SLOWEST_SHOWN): string {
  const timed = testModules.map((module) => {
    const { collectDuration, setupDuration, duration } = module.diagnostic();
    return { module, seconds: (collectDuration + setupDuration + duration) / 1000 };
  });
  const slowest = timed.sort((a, b) => b.seconds - a.seconds).slice(0, count);
  if (slowest.length === 0) return '';
  const lines = slowest.map(({ module, seconds }) => {
    const project = module.project.name ? ` [${module.project.name}]` : '';
    return `${seconds.toFixed(1).padStart(7)} s  ${relative(process.cwd(), module.moduleId)}${project}`;
  });
  return `\nSlowest ${slowest.length} test files:\n${lines.join('\n')}\n`;
}
