// Takes and releases the state lock each time it reads `go` on stdin; prints `ok` or `error <code> <message>`.
// argv: <stateFile>
import { createInterface } from 'node:readline';
import { acquireStateLock } from '../../dist/lock/lock.js';

const [stateFile] = process.argv.slice(2);
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'go') break;
  try {
    const lock = await acquireStateLock(stateFile, { timeoutMs: 30_000 });
    await lock.release();
    process.stdout.write('ok\n');
  } catch (error) {
    process.stdout.write(`error ${error.code} ${error.message}\n`);
  }
}
