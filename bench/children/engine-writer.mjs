// Bench child: `count` updates through the library (the Redis engine when PARACLE_REDIS_URL is set).
// Usage: node engine-writer.mjs <paracRoot> <prefix> <count>
import { updateState } from '../../dist/index.js';

const [root, prefix, count] = process.argv.slice(2);
for (let i = 0; i < Number(count); i += 1) await updateState(root, (s) => s.addCompleted(`${prefix}-${i}`), { timeout: 120 });
