// Takes the state lock and follows orders from stdin: `assert`, `wait-compromised`, `release`.
// argv: <stateFile> [JSON config: { timeoutMs, staleMs, command, appendTo, label }]
// With `appendTo`, it appends `label` to that file while holding the lock and releases at once (queue order tests).
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { acquireStateLock } from '../../dist/lock/lock.js';

const [stateFile, configText = '{}'] = process.argv.slice(2);
const config = JSON.parse(configText);
const say = (line) => process.stdout.write(`${line}\n`);

let lock;
try {
  say('waiting');
  lock = await acquireStateLock(stateFile, {
    timeoutMs: config.timeoutMs ?? 30_000,
    staleMs: config.staleMs,
    command: config.command,
  });
} catch (error) {
  say(`error ${error.code} ${error.message}`);
  process.exit(3);
}

if (config.appendTo) {
  appendFileSync(config.appendTo, `${config.label}\n`);
  await lock.release();
  say('released');
  process.exit(0);
}

say(`locked ${process.pid}`);

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'assert') {
    try {
      lock.assertHeld();
      say('held');
    } catch (error) {
      say(`lost ${error.code} ${error.message}`);
    }
  } else if (line === 'wait-compromised') {
    while (!lock.compromised) await new Promise((resolve) => setTimeout(resolve, 20));
    say(`compromised ${lock.compromised.message}`);
  } else if (line === 'release') {
    await lock.release();
    say('released');
    process.exit(0);
  }
}
