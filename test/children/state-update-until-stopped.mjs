// Child process: marks items completed (`<prefix>-0`, `<prefix>-1`, ...) with updateState, one after
// another, until it reads `stop` on stdin; prints `saved <i> <revision>` after each save and
// `stopped <count>` before it exits, so a test knows every item and revision it wrote.
// Usage: node state-update-until-stopped.mjs <paracRoot> <prefix>
import { createInterface } from 'node:readline';
import { updateState } from '../../dist/index.js';

const [root, prefix] = process.argv.slice(2);
let stop = false;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'stop') stop = true;
});
let count = 0;
while (!stop) {
  const state = await updateState(root, (s) => s.addCompleted(`${prefix}-${count}`));
  process.stdout.write(`saved ${count} ${state.revision}\n`);
  count += 1;
}
process.stdout.write(`stopped ${count}\n`);
process.exit(0);
