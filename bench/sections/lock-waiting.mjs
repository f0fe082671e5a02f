// Waiting for the lock (issue 13): the same number of updateState calls on the real sample file spread over
// 1, 2, 4, 8 and 16 processes (sleeping waiters keep the throughput of one writer), and the CPU a waiter
// burns while another process holds the lock. Children are started, loaded and warmed by 20 saves on a
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

/**
 * The same number of saves from 1 to 16 processes, in interleaved rounds (1, 2, 4, 8, 16, then again):
 * one process's rate is noisy on a shared machine (24 to 35 saves/s in three runs of the same code), so
 * each count is compared with the single process of its own round, and the median of those ratios is
 * recorded with its range. Each round ends with the control (runTurnsPoint).
 */
export async function measureCurve({ quick, realStatePath, record }) {
  const total = quick ? 48 : 160;
  const counts = quick ? [1, 4, 16] : [1, 2, 4, 8, 16];
  const rounds = quick ? 1 : 3;
  const runs = new Map(counts.map((count) => [count, []]));
  const ceiling = [];
  const many = counts.at(-1);
  for (let round = 0; round < rounds; round += 1) {
    for (const processes of counts) runs.get(processes).push(await runCurvePoint(processes, total, realStatePath));
    ceiling.push(await runTurnsPoint(many, total, realStatePath));
  }
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  for (const processes of counts) {
    const points = runs.get(processes);
    const ratios = points.map((point, round) => point.rate / runs.get(1)[round].rate).sort((a, b) => a - b);
    const range = rounds > 1 ? ` (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})` : '';
    record(
      title,
      `${processes} process${processes > 1 ? 'es' : ''} × updateState, ${total} saves a round, ${rounds} round${rounds > 1 ? 's' : ''}`,
      `${median(points.map((p) => p.seconds)).toFixed(2)} s, ${median(points.map((p) => p.rate)).toFixed(1)} saves/s (median)`,
      `${median(ratios).toFixed(2)}× one process${range}; CPU ${median(points.map((p) => p.cpuMsPerSave)).toFixed(1)} ms per save over all processes; lost ${points.reduce((sum, p) => sum + p.lost, 0)}`,
    );
  }
  // The control: the same saves from processes that never wait for the lock, because the bench wakes each in
  // turn (a pipe write) only after the one before has finished. No lock hands over faster, so against the
  // round's single process it is the most `many` processes can keep of one here; the lock is read against it.
  const ratiosTo = (points, base) => points.map((point, round) => point.rate / base[round].rate).sort((a, b) => a - b);
  const ceilingRatios = ratiosTo(ceiling, runs.get(1));
  const lockRatios = ratiosTo(runs.get(many), ceiling);
  const list = (ratios) => (rounds > 1 ? ` (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})` : '');
  record(
    title,
    `control: ${many} processes taking turns, each woken by the bench when the one before is done (none waits for the lock)`,
    `${median(ceiling.map((p) => p.rate)).toFixed(1)} saves/s (median)`,
    `${median(ceilingRatios).toFixed(2)}× one process${list(ceilingRatios)}: the most ${many} processes keep here; ` +
      `the lock's ${many} writers reach ${median(lockRatios).toFixed(2)}× of it${list(lockRatios)}; lost ${ceiling.reduce((sum, p) => sum + p.lost, 0)}`,
  );
}

/** The control: `total` saves from `processes` processes, each started by a `go` only once the one before is done. */
async function runTurnsPoint(processes, total, realStatePath) {
  const { base, root } = tempRoot(realStatePath);
  try {
    const children = Array.from({ length: processes }, (_, p) => startChild(['turns', root, `p${p}`]));
    await Promise.all(children.map((c) => c.until((lines) => lines.includes('ready'))));
    const done = children.map(() => 0);
    const start = performance.now();
    for (let i = 0; i < total; i += 1) {
      const p = i % processes;
      done[p] += 1;
      children[p].child.stdin.write('go\n');
      await children[p].until((lines) => lines.filter((line) => line === 'done').length >= done[p]);
    }
    const seconds = (performance.now() - start) / 1000;
    for (const c of children) c.child.stdin.write('end\n');
    await Promise.all(children.map((c) => c.until((lines) => lines.some((line) => line.startsWith('{')))));
    await Promise.all(children.map((c) => c.exited));
    const { loadState } = await import('../../dist/index.js');
    const present = new Set((await loadState(root)).currentPhase.completed);
    const lost = done.reduce(
      (sum, count, p) => sum + Array.from({ length: count }, (_, i) => `p${p}-${i}`).filter((item) => !present.has(item)).length,
      0,
    );
    return { seconds, rate: total / seconds, lost };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/** `total` saves from `processes` processes on a fresh copy of the real file: rate, CPU per save, updates lost. */
async function runCurvePoint(processes, total, realStatePath) {
  const { base, root } = tempRoot(realStatePath);
  try {
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
    const lost = reports.reduce(
      (sum, r, p) => sum + Array.from({ length: r.done }, (_, i) => `p${p}-${i}`).filter((item) => !present.has(item)).length,
      0,
    );
    return { seconds, rate: saves / seconds, cpuMsPerSave: cpuMs / saves, lost };
  } finally {
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
