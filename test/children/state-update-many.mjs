// Child process for the store tests: `count` updateState calls, each marking one item completed.
// Usage: node state-update-many.mjs <paracRoot> <prefix> <count>
import { updateState } from '../../dist/index.js';

const [root, prefix, count] = process.argv.slice(2);
for (let i = 0; i < Number(count); i += 1) {
  await updateState(root, (state) => state.addCompleted(`${prefix}-${i}`));
}
process.stdout.write('done\n');
