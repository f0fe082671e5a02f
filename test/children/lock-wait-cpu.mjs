// A waiter that reports the CPU it uses while waiting. Takes and releases the lock once while it is free
// (so the code is loaded and compiled), says `ready`; on `go` asks for the lock again and says `asked`;
// on each `mark` notes its CPU time (process.cpuUsage, user + system) and wall time; once it holds the
// lock it releases it and prints `{ marks: [{ cpuMs, atMs }, ...] }`.
// argv: <stateFile>
import { createInterface } from 'node:readline';
import { acquireStateLock } from '../../dist/lock/lock.js';

const [stateFile] = process.argv.slice(2);
const warm = await acquireStateLock(stateFile, { timeoutMs: 30_000 });
await warm.release();
const marks = [];
let waiting = null;
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'go' && waiting === null) {
    waiting = acquireStateLock(stateFile, { timeoutMs: 60_000 }).then(async (lock) => {
      await lock.release();
      process.stdout.write(`${JSON.stringify({ marks })}\n`);
      process.exit(0);
    });
    process.stdout.write('asked\n');
  } else if (line === 'mark') {
    const used = process.cpuUsage();
    marks.push({ cpuMs: (used.user + used.system) / 1000, atMs: performance.now() });
  }
}
