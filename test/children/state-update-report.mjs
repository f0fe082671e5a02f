// Child process for the interop and symlink races: `count` updateState calls, each marking one item
// completed, printing one JSON line per save with the revision it wrote.
// Usage: node state-update-report.mjs <paracRoot> <prefix> <count>
import { updateState } from '../../dist/index.js';

const [root, prefix, count] = process.argv.slice(2);
for (let i = 0; i < Number(count); i += 1) {
  const item = `${prefix}-${i}`;
  const state = await updateState(root, (s) => s.addCompleted(item));
  process.stdout.write(`${JSON.stringify({ item, revision: state.revision })}\n`);
}
