// Child process for the interop and symlink races: `count` updateState calls, each marking one item
// completed, printing one JSON line per save with the revision it wrote. A lock timeout starts the item
// again, as the Python stand-in does (both sides poll their lock: a busy rival can outlast a timeout).
// Usage: node state-update-report.mjs <paracRoot> <prefix> <count>
import { updateState } from '../../dist/index.js';

const [root, prefix, count] = process.argv.slice(2);
for (let i = 0; i < Number(count); i += 1) {
  const item = `${prefix}-${i}`;
  let retries = 0;
  for (;;) {
    try {
      const state = await updateState(root, (s) => s.addCompleted(item));
      process.stdout.write(`${JSON.stringify({ item, revision: state.revision, retries })}\n`);
      break;
    } catch (error) {
      if (error.code !== 'STATE_LOCK_TIMEOUT') throw error;
      retries += 1;
    }
  }
}
