// Child process for the Redis engine tests: `count` updates through the library, with the engine
// configured by PARACLE_REDIS_URL. Prints `ack <item> <revision>` once an update has returned (the
// caller may count it as done), and retries an update that failed with a typed error, as a caller
// would, printing `retry <code>`. Usage: node engine-writer.mjs <paracRoot> <prefix> <count>
import { createRequire } from 'node:module';

// The library as `require` gets it (dist/index.cjs, one bundle): the other children import the
// module tree, so both entry points run under concurrency, and this one starts in less CPU.
const { updateState } = createRequire(import.meta.url)('../../dist/index.cjs');

const [root, prefix, count] = process.argv.slice(2);
for (let i = 0; i < Number(count); i += 1) {
  const item = `${prefix}-${i}`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const state = await updateState(root, (s) => s.addCompleted(item), { timeout: 30 });
      process.stdout.write(`ack ${item} ${state.revision}\n`);
      break;
    } catch (error) {
      if (!error?.code || attempt >= 200) throw error;
      process.stdout.write(`retry ${error.code}\n`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
process.stdout.write('done\n');
