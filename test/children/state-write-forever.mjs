// Child process for the crash tests: saves the state in a loop until it is killed.
// Prints "ready" once loaded, before its first save, and "saved" after each save, so the parent
// can aim its kill at a random moment of the save cycle (reading, rendering, writing the temp
// file, renaming, logging).
// Usage: node state-write-forever.mjs <paracRoot> <prefix>
import { createRequire } from 'node:module';

// The library as `require` gets it (dist/index.cjs, one bundle): the other children import the
// module tree, so both entry points run under concurrency, and this one starts in less CPU.
const { updateState } = createRequire(import.meta.url)('../../dist/index.cjs');

const [root, prefix] = process.argv.slice(2);
process.stdout.write('ready\n');
for (let i = 0; ; i += 1) {
  await updateState(root, (state) => state.setIn(['crash_test', prefix], i));
  process.stdout.write('saved\n');
}
