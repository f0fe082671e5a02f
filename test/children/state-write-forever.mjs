// Child process for the crash tests: saves the state in a loop until it is killed.
// Prints "ready" once the first save has landed, so the parent kills it mid-work afterwards.
// Usage: node state-write-forever.mjs <paracRoot> <prefix>
import { updateState } from '../../dist/index.js';

const [root, prefix] = process.argv.slice(2);
for (let i = 0; ; i += 1) {
  await updateState(root, (state) => state.setIn(['crash_test', 'last'], `${prefix}-${i}`));
  if (i === 0) process.stdout.write('ready\n');
}
