// Child process for the history races: `count` saves of mixed kinds (an update in one lock hold, an
// update with retries, a stale save reconciled), writing the data of every revision it wrote to
// <copies>/<revision>.json so the test can compare `show --revision N` with what was written.
// Usage: node state-history-racer.mjs <paracRoot> <copies> <prefix> <count>
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadState, saveState, updateState, updateWithRetry } from '../../dist/index.js';

const [root, copies, prefix, count] = process.argv.slice(2);
const keep = (state) => writeFileSync(join(copies, `${state.revision}.json`), JSON.stringify(state.data));
for (let i = 0; i < Number(count); i += 1) {
  const item = `${prefix}-${i}`;
  if (i % 3 === 0) keep(await updateState(root, (s) => s.addCompleted(item)));
  else if (i % 3 === 1) keep(await updateWithRetry(root, (s) => s.addInProgress(item), { maxRetries: 50 }));
  else {
    const state = await loadState(root);
    state.setIn(['metrics', 'racers', prefix], i);
    // Give the others time to write in between: this save is stale and is reconciled.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await saveState(state, root, { onConflict: 'reconcile' });
    keep(state);
  }
}
process.stdout.write('done\n');
