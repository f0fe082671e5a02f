// Child process for bench/sections/lock-waiting.mjs. Loads the library, says `ready`, waits for `go`
// on stdin, then either:
// - `updates <paracRoot> <prefix> <count>`: `count` updateState calls on the real file;
// - `wait <stateFile>`: one acquireStateLock + release (a waiter behind a holder);
// - `turns <paracRoot> <prefix>`: one updateState for each `go` line, answered `done` (the control: processes
//   that take turns because the bench wakes each in turn, so none ever waits for the lock);
// and prints one JSON line: wall time and CPU time (process.cpuUsage, user + system) from `go` to done,
// and `marks`: CPU and wall time at each `mark` line read after `go` (to measure a stretch of pure waiting).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { updateState } from '../../dist/index.js';
import { acquireStateLock } from '../../dist/lock/lock.js';

const [mode, ...args] = process.argv.slice(2);
const WARM_UP_SAVES = 20;

async function work() {
  if (mode === 'updates') {
    const [root, prefix, count] = args;
    for (let i = 0; i < Number(count); i += 1) await updateState(root, (state) => state.addCompleted(`${prefix}-${i}`), { timeout: 600 });
    return Number(count);
  }
  const lock = await acquireStateLock(args[0], { timeoutMs: 120_000 });
  await lock.release();
  return 1;
}

if (mode === 'updates' || mode === 'turns') {
  // Saves on a copy of its own first, so the curve shows waiting for the lock, not each process compiling
  // and optimising the YAML code on its first saves (a fresh process's first 10 saves cost 3× the CPU of
  // later ones here, which 16 processes would pay 16 times, inside the lock).
  const scratch = mkdtempSync(join(tmpdir(), 'paracle-bench-warm-'));
  const root = join(scratch, '.parac');
  mkdirSync(join(root, 'memory', 'context'), { recursive: true });
  copyFileSync(join(args[0], 'memory', 'context', 'current_state.yaml'), join(root, 'memory', 'context', 'current_state.yaml'));
  for (let i = 0; i < WARM_UP_SAVES; i += 1) await updateState(root, (state) => state.addCompleted(`warm-up-${i}`));
  rmSync(scratch, { recursive: true, force: true });
}
if (mode === 'wait') {
  // Warm the lock's code path while the lock is free, so the measured wait is only waiting.
  const lock = await acquireStateLock(args[0], { timeoutMs: 120_000 });
  await lock.release();
}
const marks = [];
let started = false;
process.stdout.write('ready\n');
let turn = 0;
let turns = Promise.resolve();
process.stdin.on('data', (chunk) => {
  for (const line of chunk.toString().split('\n')) {
    if (mode === 'turns') {
      if (line === 'go') {
        const item = `${args[1]}-${turn}`;
        turn += 1;
        turns = turns
          .then(() => updateState(args[0], (state) => state.addCompleted(item), { timeout: 600 }))
          .then(() => process.stdout.write('done\n'));
      } else if (line === 'end') {
        turns.then(() => {
          process.stdout.write(`${JSON.stringify({ done: turn })}\n`);
          process.stdin.destroy();
        });
      }
      continue;
    }
    if (line === 'mark') {
      const used = process.cpuUsage();
      marks.push({ cpuMs: (used.user + used.system) / 1000, atMs: performance.now() });
    } else if (line === 'go' && !started) {
      started = true;
      go();
    }
  }
});

async function go() {
  const cpu = process.cpuUsage();
  const start = performance.now();
  if (mode === 'wait') process.stdout.write('waiting\n');
  const done = await work();
  const used = process.cpuUsage(cpu);
  process.stdout.write(`${JSON.stringify({ done, wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000, marks })}\n`);
  process.stdin.destroy();
}
