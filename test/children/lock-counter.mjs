// N times: under the lock, read a counter file, yield, write counter + 1 (a lost update shows as a low count).
// argv: <stateFile> <counterFile> <iterations> [JSON config: { timeoutMs, staleMs }]
// Prints one JSON line: { timeouts, done, maxWaitMs }.
import { readFileSync, writeFileSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { withStateLock } from '../../dist/lock/lock.js';

const [stateFile, counterFile, iterationsText, configText = '{}'] = process.argv.slice(2);
const config = JSON.parse(configText);
const iterations = Number(iterationsText);
let timeouts = 0;
let done = 0;
let maxWaitMs = 0;
process.stdout.write('ready\n');
for (let i = 0; i < iterations; i += 1) {
  const asked = performance.now();
  try {
    await withStateLock(stateFile, { timeoutMs: config.timeoutMs ?? 10_000, staleMs: config.staleMs }, async (lock) => {
      maxWaitMs = Math.max(maxWaitMs, performance.now() - asked);
      const value = Number(readFileSync(counterFile, 'utf8'));
      await yieldToLoop();
      lock.assertHeld();
      writeFileSync(counterFile, String(value + 1));
    });
    done += 1;
  } catch (error) {
    if (error.code !== 'STATE_LOCK_TIMEOUT') throw error;
    timeouts += 1;
  }
}
process.stdout.write(`${JSON.stringify({ timeouts, done, maxWaitMs: Math.round(maxWaitMs) })}\n`);
