// Child process for the Redis engine tests: one update that prints `holding` from inside its lock
// hold and goes on only when a line arrives on stdin; then `ack <revision>` or `refused <code>`.
// Usage: node engine-hold.mjs <paracRoot> <item>
import { createInterface } from 'node:readline';
import { updateState } from '../../dist/index.js';

const [root, item] = process.argv.slice(2);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
try {
  const state = await updateState(root, async (s) => {
    process.stdout.write('holding\n');
    await lines.next();
    s.addCompleted(item);
  });
  process.stdout.write(`ack ${state.revision}\n`);
} catch (error) {
  process.stdout.write(`refused ${error?.code ?? 'unknown'} ${String(error?.message).split('\n')[0]}\n`);
}
process.exit(0);
