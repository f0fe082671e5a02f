// Waiting for the lock (issue 13): the same number of updateState calls on the real sample file spread over
// 1, 2, 4, 8 and 16 processes (sleeping waiters keep the throughput of one writer), and the CPU a waiter
// burns while another process holds the lock. Children are started, loaded and warmed by one save on a
// copy of their own first; the clock runs from one `go` to the last report, so neither process start-up
// nor each process's first (compiling) saves are counted.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireStateLock } from '../../dist/lock/lock.js';

export const title = 'lock waiting';

const CHILD = join(import.meta.dirname, '..', 'children', 'lock-waiter.mjs');

function tempRoot(realStatePath) {
  const base = mkdtempSync(join(tmpdir(), 'paracle-bench-wait-'));
  const root = join(base, '.parac');
  mkdirSync(join(root, 'memory', 'context'), { recursive: true });
  copyFileSync(realStatePath, join(root, 'memory', 'context', 'current_state.yaml'));
  return { base, root, file: join(root, 'memory', 'context', 'current_state.yaml') };
}

/** Starts a child and resolves once it is loaded; `lines` collects what it prints afterwards. */
function startChild(args) {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  let buffer = '';
  const listeners = [];
  child.stdout.on('data', (chunk) => {
    buffer += chunk.toString();
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      lines.push(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
      for (const listener of listeners.splice(0)) listener();
      newline = buffer.indexOf('\n');
    }
  });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const until = async (predicate) => {
    while (!predicate(lines)) {
      const code = await Promise.race([new Promise((resolve) => listeners.push(resolve)), exited]);
      if (typeof code === 'number' && !predicate(lines)) throw new Error(`lock-waiter child exited with ${code}`);
    }
  };
  return { child, lines, until, exited };
}

const report = (lines) => JSON.parse(lines.find((line) => line.startsWith('{')));

export async function run(context) {
  await measureCurve(context);
  await measureWaiterCpu(context);
  return [];
}

/** The same number of saves from 1 to 16 processes; each row recorded as measured (a 16-process run takes a while). */
export async function measureCurve({ quick, realStatePath, record }) {
  const rows = { push: (row) => record(title, row.measure, row.value, row.note) };
  const total = quick ? 48 : 160;
  const counts = quick ? [1, 4, 16] : [1, 2, 4, 8, 16];
  let oneRate;
  for (const processes of counts) {
    const { base, root } = tempRoot(realStatePath);
    const children = Array.from({ length: processes }, (_, p) =>
      startChild(['updates', root, `p${p}`, String(Math.floor(total / processes) + (p < total % processes ? 1 : 0))]),
    );
    await Promise.all(children.map((c) => c.until((lines) => lines.includes('ready'))));
    const start = performance.now();
    for (const c of children) c.child.stdin.write('go\n');
    await Promise.all(children.map((c) => c.until((lines) => lines.some((line) => line.startsWith('{')))));
    const seconds = (performance.now() - start) / 1000;
    await Promise.all(children.map((c) => c.exited));
    const reports = children.map((c) => report(c.lines));
    const saves = reports.reduce((sum, r) => sum + r.done, 0);
    const cpuMs = reports.reduce((sum, r) => sum + r.cpuMs, 0);
    const { loadState } = await import('../../dist/index.js');
    const state = await loadState(root);
    const present = new Set(state.currentPhase.completed);
    const lost = children.reduce(
      (sum, _, p) => sum + Array.from({ length: reports[p].done }, (_, i) => `p${p}-${i}`).filter((item) => !present.has(item)).length,
      0,
    );
    const rate = saves / seconds;
    oneRate ??= rate;
    rows.push({
      measure: `${processes} process${processes > 1 ? 'es' : ''} × updateState, ${saves} saves in all`,
      value: `${seconds.toFixed(2)} s, ${rate.toFixed(1)} saves/s`,
      note: `${(rate / oneRate).toFixed(2)}× one process; CPU ${(cpuMs / saves).toFixed(1)} ms per save over all processes; lost ${lost}`,
    });
    rmSync(base, { recursive: true, force: true });
  }
}

/**
 * Waiters behind a holder: 8 processes wait while this process holds the lock. Their CPU is read over 2 s
 * of pure waiting (between two `mark`s, once every waiter has been in line for 300 ms), then over the whole
 * wait, which adds taking the lock in turn and waking as each one ahead leaves.
 */
export async function measureWaiterCpu({ quick, realStatePath, record }) {
  const waiters = quick ? 4 : 8;
  const markedMs = 2000;
  const { base, file } = tempRoot(realStatePath);
  const children = Array.from({ length: waiters }, () => startChild(['wait', file]));
  await Promise.all(children.map((c) => c.until((lines) => lines.includes('ready'))));
  const lock = await acquireStateLock(file, { timeoutMs: 10_000 });
  for (const c of children) c.child.stdin.write('go\n');
  await Promise.all(children.map((c) => c.until((lines) => lines.includes('waiting'))));
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const c of children) c.child.stdin.write('mark\n');
  await new Promise((resolve) => setTimeout(resolve, markedMs));
  for (const c of children) c.child.stdin.write('mark\n');
  await lock.release();
  await Promise.all(children.map((c) => c.until((lines) => lines.some((line) => line.startsWith('{')))));
  await Promise.all(children.map((c) => c.exited));
  const reports = children.map((c) => report(c.lines));
  const waiting = reports.map(({ marks: [from, to] }) => (100 * (to.cpuMs - from.cpuMs)) / (to.atMs - from.atMs)).sort((a, b) => a - b);
  const whole = reports.map((r) => (100 * r.cpuMs) / r.wallMs).sort((a, b) => a - b);
  const median = (sorted) => sorted[sorted.length >> 1];
  record(
    title,
    `CPU of a waiter over ${markedMs / 1000} s while another process holds the lock (${waiters} waiters)`,
    `median ${median(waiting).toFixed(2)} %, max ${waiting.at(-1).toFixed(2)} %`,
    'CPU time ÷ wall time (process.cpuUsage in each waiter); target < 1 %',
  );
  record(
    title,
    `CPU of a waiter over its whole wait, taking the lock in turn included (${waiters} waiters)`,
    `median ${median(whole).toFixed(2)} %, max ${whole.at(-1).toFixed(2)} %`,
    `CPU ${reports.map((r) => r.cpuMs.toFixed(0)).join(', ')} ms over ${reports.map((r) => (r.wallMs / 1000).toFixed(1)).join(', ')} s`,
  );
  rmSync(base, { recursive: true, force: true });
}
