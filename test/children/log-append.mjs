// Appends audit entries for the concurrency tests, then exits.
// argv: <paracRoot> <count> <tag> <mode: append|log> [oldEvery]
//   append: appendStateChanges (no lock), batches of 1-3 entries per call with descriptions of varied length
//   log:    logStateChange (takes the state lock), one entry per call; every `oldEvery`-th entry is dated 60 days
//           back so a concurrent clearOldChanges has something to remove
// With an IPC channel it says 'ready' and waits for 'go', so all children start together.
import { appendStateChanges, logStateChange } from '../../dist/log/audit-log.js';

const [paracRoot, countText, tag, mode = 'append', oldEveryText = '0'] = process.argv.slice(2);
const count = Number(countText);
const oldEvery = Number(oldEveryText);
const OLD = new Date(Date.now() - 60 * 86_400_000).toISOString();

function description(seq) {
  // 0 to ~8 KB, with multi-byte characters so a split line would also break UTF-8.
  const size = (seq * 977 + tag.length * 131) % 8000;
  return `${tag}#${seq} ${'é🚀x'.repeat(Math.floor(size / 4))}`;
}

async function run() {
  let seq = 0;
  let batchNo = 0;
  while (seq < count) {
    if (mode === 'log') {
      const old = oldEvery > 0 && seq % oldEvery === 0;
      await logStateChange(paracRoot, {
        change_type: 'progress',
        description: description(seq),
        revision: seq,
        tag,
        seq,
        old,
        ...(old ? { timestamp: OLD } : {}),
      });
      seq += 1;
      continue;
    }
    const size = Math.min(1 + (batchNo % 3), count - seq);
    const batch = [];
    for (let i = 0; i < size; i += 1, seq += 1) {
      batch.push({ change_type: 'update', description: description(seq), revision: seq, tag, seq, batch: batchNo, batchSize: size });
    }
    await appendStateChanges(paracRoot, batch);
    batchNo += 1;
  }
}

if (process.send) {
  process.on('message', (message) => {
    if (message !== 'go') return;
    run().then(
      () => process.disconnect(),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
  process.send('ready');
} else {
  await run();
}
